// Tensor: a handle (shared_ptr) to a strided view of refcounted Storage.
//
// Copying a Tensor copies the handle, not the data: two handles to one TensorImpl are the same
// tensor (same grad, same autograd identity). Views made by ops/view.h (reshape, permute,
// slice, expand) are new TensorImpls over the same Storage with other shape/strides/offset.
// Strides and offset are in elements. dtype is one of f32, f16, bf16, i32; up to 4 dims.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace anymal {

namespace autograd {
struct Node;
}

class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // elements from the start of storage
  Shape shape;
  Strides strides{};
  DType dtype = DType::f32;
  // autograd state: leaves have requires_grad and no grad_fn; op results may have a grad_fn.
  bool requires_grad = false;
  std::shared_ptr<autograd::Node> grad_fn;
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient of a leaf (same shape, f32)
  std::string name;                  // optional, for dumps and error messages
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Creation: owned, contiguous storage.
  // Uninitialized: for outputs a kernel overwrites entirely.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, float value, DType dtype = DType::f32);
  static Tensor from_floats(const std::vector<float>& values, const Shape& shape,
                            DType dtype = DType::f32);
  static Tensor from_ints(const std::vector<int32_t>& values, const Shape& shape);
  static Tensor scalar(float value) { return from_floats({value}, Shape{}); }
  // A read-only tensor over `bytes` of a mapped file at `offset` (no copy).
  static Tensor from_mapped(std::shared_ptr<MappedFile> file, size_t offset, const Shape& shape,
                            DType dtype);
  // A view over this tensor's storage; the caller guarantees it stays in bounds.
  Tensor view_as(const Shape& shape, const Strides& strides, int64_t offset) const;

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& shape() const { return impl_->shape; }
  int ndim() const { return impl_->shape.ndim(); }
  int64_t dim(int axis) const { return impl_->shape.dim(axis); }
  int64_t numel() const { return impl_->shape.numel(); }
  DType dtype() const { return impl_->dtype; }
  const Strides& strides() const { return impl_->strides; }
  int64_t offset() const { return impl_->offset; }
  bool is_contiguous() const;
  const std::string& name() const { return impl_->name; }
  Tensor& set_name(std::string n) {
    impl_->name = std::move(n);
    return *this;
  }

  // Pointer to the first element (offset applied). Checks the dtype matches T.
  template <typename T>
  const T* data() const {
    check_type(type_of<T>());
    return reinterpret_cast<const T*>(impl_->storage->data()) + impl_->offset;
  }
  // Writable pointer; throws invalid_input for a tensor over a read-only mapping.
  template <typename T>
  T* mutable_data() const {
    check_type(type_of<T>());
    check_writable();
    return reinterpret_cast<T*>(impl_->storage->data()) + impl_->offset;
  }
  const void* raw() const { return impl_->storage->data() + impl_->offset * dtype_size(dtype()); }
  void* mutable_raw() const {
    check_writable();
    return impl_->storage->data() + impl_->offset * dtype_size(dtype());
  }

  // Elements in logical (row-major) order converted to float / int, whatever the strides.
  std::vector<float> to_floats() const;
  std::vector<int32_t> to_ints() const;
  float item() const;  // the one element of a 1-element tensor

  // Autograd
  bool requires_grad() const { return impl_->requires_grad || impl_->grad_fn != nullptr; }
  Tensor& set_requires_grad(bool on = true);
  Tensor grad() const { return Tensor(impl_->grad); }
  void zero_grad() const { impl_->grad.reset(); }
  void set_grad(const Tensor& g) const { impl_->grad = g.impl_; }  // (summed across processes)

  std::string str() const;  // "f32[2,3]"

 private:
  template <typename T>
  static constexpr DType type_of();
  void check_type(DType t) const;
  void check_writable() const;

  std::shared_ptr<TensorImpl> impl_;
};

template <>
constexpr DType Tensor::type_of<float>() {
  return DType::f32;
}
template <>
constexpr DType Tensor::type_of<int32_t>() {
  return DType::i32;
}
template <>
constexpr DType Tensor::type_of<uint16_t>() {
  return DType::f16;  // 16-bit floats: checked loosely (f16 or bf16), see check_type
}

// The elements of t (any strides) as contiguous row-major bytes.
std::vector<uint8_t> contiguous_bytes(const Tensor& t);

// Calls fn(logical_index, storage_element_index) for every element in row-major order.
template <typename Fn>
void for_each_index(const Shape& shape, const Strides& strides, int64_t offset, Fn&& fn) {
  int64_t n = shape.numel();
  if (n == 0) return;
  int nd = shape.ndim();
  std::array<int64_t, kMaxDims> idx{};
  int64_t pos = offset;
  for (int64_t i = 0; i < n; ++i) {
    fn(i, pos);
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        pos += strides[d];
        break;
      }
      pos -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

}  // namespace anymal
