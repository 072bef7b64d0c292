#include "core/tensor.h"

namespace anymal {

namespace {

float load_float(const uint8_t* base, DType t, int64_t i) {
  switch (t) {
    case DType::f32:
      return reinterpret_cast<const float*>(base)[i];
    case DType::f16:
      return f16_to_f32(reinterpret_cast<const uint16_t*>(base)[i]);
    case DType::bf16:
      return bf16_to_f32(reinterpret_cast<const uint16_t*>(base)[i]);
    case DType::i32:
      return float(reinterpret_cast<const int32_t*>(base)[i]);
  }
  return 0;
}

void store_float(uint8_t* base, DType t, int64_t i, float v) {
  switch (t) {
    case DType::f32:
      reinterpret_cast<float*>(base)[i] = v;
      break;
    case DType::f16:
      reinterpret_cast<uint16_t*>(base)[i] = f32_to_f16(v);
      break;
    case DType::bf16:
      reinterpret_cast<uint16_t*>(base)[i] = f32_to_bf16(v);
      break;
    case DType::i32:
      reinterpret_cast<int32_t*>(base)[i] = int32_t(v);
      break;
  }
}

}  // namespace

namespace {
Tensor allocate(const Shape& shape, DType dtype, bool zero) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(size_t(shape.numel()) * dtype_size(dtype), zero);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) { return allocate(shape, dtype, false); }
Tensor Tensor::zeros(const Shape& shape, DType dtype) { return allocate(shape, dtype, true); }

Tensor Tensor::full(const Shape& shape, float value, DType dtype) {
  Tensor t = empty(shape, dtype);
  uint8_t* base = static_cast<uint8_t*>(t.mutable_raw());
  for (int64_t i = 0; i < t.numel(); ++i) store_float(base, dtype, i, value);
  return t;
}

Tensor Tensor::from_floats(const std::vector<float>& values, const Shape& shape, DType dtype) {
  if (int64_t(values.size()) != shape.numel())
    throw_error(ErrorKind::invalid_input, "from_floats: " + std::to_string(values.size()) +
                                              " values for shape " + shape.str());
  Tensor t = empty(shape, dtype);
  uint8_t* base = static_cast<uint8_t*>(t.mutable_raw());
  for (size_t i = 0; i < values.size(); ++i) store_float(base, dtype, int64_t(i), values[i]);
  return t;
}

Tensor Tensor::from_ints(const std::vector<int32_t>& values, const Shape& shape) {
  if (int64_t(values.size()) != shape.numel())
    throw_error(ErrorKind::invalid_input,
                "from_ints: " + std::to_string(values.size()) + " values for shape " + shape.str());
  Tensor t = empty(shape, DType::i32);
  std::copy(values.begin(), values.end(), t.mutable_data<int32_t>());
  return t;
}

Tensor Tensor::from_mapped(std::shared_ptr<MappedFile> file, size_t offset, const Shape& shape,
                           DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      Storage::view_of(std::move(file), offset, size_t(shape.numel()) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::view_as(const Shape& shape, const Strides& strides, int64_t offset) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (int i = ndim() - 1; i >= 0; --i) {
    if (shape()[i] != 1 && strides()[i] != expect) return false;
    expect *= shape()[i];
  }
  return true;
}

std::vector<float> Tensor::to_floats() const {
  std::vector<float> out(static_cast<size_t>(numel()));
  const uint8_t* base = impl_->storage->data();
  DType t = dtype();
  for_each_index(shape(), strides(), offset(),
                 [&](int64_t i, int64_t pos) { out[size_t(i)] = load_float(base, t, pos); });
  return out;
}

std::vector<int32_t> Tensor::to_ints() const {
  if (dtype() != DType::i32) throw_error(ErrorKind::invalid_input, "to_ints: tensor is " + str());
  std::vector<int32_t> out(static_cast<size_t>(numel()));
  const int32_t* base = reinterpret_cast<const int32_t*>(impl_->storage->data());
  for_each_index(shape(), strides(), offset(),
                 [&](int64_t i, int64_t pos) { out[size_t(i)] = base[pos]; });
  return out;
}

float Tensor::item() const {
  if (numel() != 1)
    throw_error(ErrorKind::invalid_input, "item: tensor " + str() + " has more than one element");
  return to_floats()[0];
}

Tensor& Tensor::set_requires_grad(bool on) {
  if (on && !is_float(dtype()))
    throw_error(ErrorKind::invalid_input, "requires_grad: integer tensor " + str());
  impl_->requires_grad = on;
  return *this;
}

std::string Tensor::str() const {
  if (!impl_) return "undefined";
  return std::string(dtype_name(dtype())) + shape().str();
}

void Tensor::check_type(DType t) const {
  DType have = dtype();
  bool ok = have == t || (t == DType::f16 && have == DType::bf16);
  if (!ok)
    throw_error(ErrorKind::internal,
                std::string("tensor ") + str() + " accessed as " + dtype_name(t));
}

void Tensor::check_writable() const {
  if (impl_->storage->read_only())
    throw_error(ErrorKind::invalid_input, "tensor " + (name().empty() ? str() : name()) +
                                              " is a read-only view of a mapped file");
}

std::vector<uint8_t> contiguous_bytes(const Tensor& t) {
  const size_t es = dtype_size(t.dtype());
  std::vector<uint8_t> bytes(size_t(t.numel()) * es);
  const uint8_t* base = t.impl()->storage->data();
  for_each_index(t.shape(), t.strides(), t.offset(), [&](int64_t i, int64_t pos) {
    std::memcpy(bytes.data() + size_t(i) * es, base + pos * int64_t(es), es);
  });
  return bytes;
}

}  // namespace anymal
