// Helpers shared by the op implementations (not part of the public op API).
#pragma once

#include <string>

#include "backend/cpu/kernels.h"
#include "core/autograd_node.h"
#include "core/tensor.h"

namespace anymal::ops::detail {

using autograd::detach;
using autograd::record;
using cpu::cpu_kernels;

// `t` as a contiguous f32 tensor: `t` itself when it already is one, else a converted copy.
Tensor f32c(const Tensor& t);
// Contiguous copy (or `t` itself) in the same dtype.
Tensor contiguous_copy(const Tensor& t);
// Writes src (any strides, any float dtype) into dst (same shape, any strides/dtype).
void copy_into(const Tensor& src, const Tensor& dst);
// An f32 result converted to `dtype` (no copy when dtype is f32).
Tensor to_dtype(const Tensor& f32_result, DType dtype);

[[noreturn]] void fail(const char* op, const std::string& what);
void expect_float(const char* op, const Tensor& t, const char* role);
void expect_ndim(const char* op, const Tensor& t, int ndim, const char* role);
// "[2,3] x [4,5]" style description of operands for messages.
std::string shapes_str(const Tensor& a, const Tensor& b);

}  // namespace anymal::ops::detail
