#include "ops/op_util.h"

#include <cstring>

namespace anymal::ops::detail {

void copy_into(const Tensor& src, const Tensor& dst) {
  ANYMAL_ASSERT(src.shape() == dst.shape());
  if (src.numel() == 0) return;
  const uint8_t* sbase = static_cast<const uint8_t*>(src.impl()->storage->data());
  uint8_t* dbase =
      static_cast<uint8_t*>(dst.mutable_raw()) - dst.offset() * dtype_size(dst.dtype());
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    std::memcpy(dst.mutable_raw(), src.raw(), size_t(src.numel()) * dtype_size(src.dtype()));
    return;
  }
  if (dst.is_contiguous() && src.is_contiguous()) {  // dtype conversion only
    if (dst.dtype() == DType::f32) {
      cpu_kernels().to_f32(src.dtype(), src.raw(), static_cast<float*>(dst.mutable_raw()),
                           src.numel());
      return;
    }
    if (src.dtype() == DType::f32) {
      cpu_kernels().from_f32(dst.dtype(), static_cast<const float*>(src.raw()), dst.mutable_raw(),
                             src.numel());
      return;
    }
  }
  // General strided case: gather the destination's storage positions in logical order.
  std::vector<int64_t> dpos(static_cast<size_t>(dst.numel()));
  for_each_index(dst.shape(), dst.strides(), dst.offset(),
                 [&](int64_t i, int64_t pos) { dpos[size_t(i)] = pos; });
  DType st = src.dtype(), dt = dst.dtype();
  size_t es = dtype_size(dt);
  for_each_index(src.shape(), src.strides(), src.offset(), [&](int64_t i, int64_t pos) {
    uint8_t* d = dbase + dpos[size_t(i)] * int64_t(es);
    if (st == dt) {
      std::memcpy(d, sbase + pos * int64_t(es), es);
      return;
    }
    float v;
    cpu::kernels_for(cpu::KernelVariant::reference)
        .to_f32(st, sbase + pos * int64_t(dtype_size(st)), &v, 1);
    cpu::kernels_for(cpu::KernelVariant::reference).from_f32(dt, &v, d, 1);
  });
}

Tensor f32c(const Tensor& t) {
  if (t.dtype() == DType::f32 && t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape(), DType::f32);
  copy_into(t, out);
  return out;
}

Tensor contiguous_copy(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype());
  copy_into(t, out);
  return out;
}

Tensor to_dtype(const Tensor& f32_result, DType dtype) {
  if (dtype == DType::f32) return f32_result;
  Tensor out = Tensor::empty(f32_result.shape(), dtype);
  copy_into(f32_result, out);
  return out;
}

void fail(const char* op, const std::string& what) {
  throw_error(ErrorKind::invalid_input, std::string(op) + ": " + what);
}

void expect_float(const char* op, const Tensor& t, const char* role) {
  if (!t.defined()) fail(op, std::string(role) + " is undefined");
  if (!is_float(t.dtype())) fail(op, std::string(role) + " must be a float tensor, got " + t.str());
}

void expect_ndim(const char* op, const Tensor& t, int ndim, const char* role) {
  if (t.ndim() != ndim)
    fail(op, std::string(role) + " must have " + std::to_string(ndim) + " dims, got " +
                 t.shape().str());
}

std::string shapes_str(const Tensor& a, const Tensor& b) {
  return a.shape().str() + " x " + b.shape().str();
}

}  // namespace anymal::ops::detail
