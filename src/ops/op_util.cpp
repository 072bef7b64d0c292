#include "ops/op_util.h"

#include <array>
#include <cstring>

namespace anymal::ops::detail {

namespace {

// Copies n elements with element strides ss/ds (in elements), converting dtype when needed.
void copy_row(const uint8_t* sbase, int64_t spos, int64_t ss, DType st, uint8_t* dbase,
              int64_t dpos, int64_t ds, DType dt, int64_t n) {
  if (st == dt && dtype_size(st) == 4) {
    const uint32_t* s = reinterpret_cast<const uint32_t*>(sbase) + spos;
    uint32_t* d = reinterpret_cast<uint32_t*>(dbase) + dpos;
    for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
  } else if (st == dt) {
    const uint16_t* s = reinterpret_cast<const uint16_t*>(sbase) + spos;
    uint16_t* d = reinterpret_cast<uint16_t*>(dbase) + dpos;
    for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
  } else {
    const cpu::CpuKernels& ref = cpu::kernels_for(cpu::KernelVariant::reference);
    size_t ses = dtype_size(st), des = dtype_size(dt);
    for (int64_t i = 0; i < n; ++i) {
      float v;
      ref.to_f32(st, sbase + (spos + i * ss) * int64_t(ses), &v, 1);
      ref.from_f32(dt, &v, dbase + (dpos + i * ds) * int64_t(des), 1);
    }
  }
}

}  // namespace

void copy_into(const Tensor& src, const Tensor& dst) {
  ANYMAL_ASSERT(src.shape() == dst.shape());
  if (src.numel() == 0) return;
  if (src.is_contiguous() && dst.is_contiguous()) {
    if (src.dtype() == dst.dtype()) {
      std::memcpy(dst.mutable_raw(), src.raw(), size_t(src.numel()) * dtype_size(src.dtype()));
      return;
    }
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
  // General strided case: rows of the innermost dim, the outer dims walked by an odometer.
  const Shape& shape = src.shape();
  const Strides &sst = src.strides(), &dst_st = dst.strides();
  const int nd = shape.ndim();
  const int64_t inner = nd ? shape[nd - 1] : 1, rows = src.numel() / inner;
  const uint8_t* sbase = src.impl()->storage->data();
  uint8_t* dbase =
      static_cast<uint8_t*>(dst.mutable_raw()) - dst.offset() * int64_t(dtype_size(dst.dtype()));
  std::array<int64_t, kMaxDims> idx{};
  int64_t spos = src.offset(), dpos = dst.offset();
  for (int64_t r = 0; r < rows; ++r) {
    copy_row(sbase, spos, nd ? sst[nd - 1] : 0, src.dtype(), dbase, dpos, nd ? dst_st[nd - 1] : 0,
             dst.dtype(), inner);
    for (int d = nd - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        spos += sst[d];
        dpos += dst_st[d];
        break;
      }
      spos -= sst[d] * (shape[d] - 1);
      dpos -= dst_st[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
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
