// Shape: up to kMaxDims (4) dimensions, outermost first (row-major, like PyTorch and numpy;
// the reverse of ggml's ne[] order). A 0-d shape is a scalar with one element.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace anymal {

constexpr int kMaxDims = 4;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  template <typename It>
  Shape(It begin, It end) {
    for (It it = begin; it != end; ++it) push_back(*it);
  }

  int ndim() const { return ndim_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  // Negative axes count from the end; throws invalid_input when out of range.
  int64_t dim(int axis) const { return dims_[normalize_axis(axis)]; }
  int normalize_axis(int axis) const;
  int64_t numel() const;
  void push_back(int64_t d);
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + ndim_; }

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "[2,3]"

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

using Strides = std::array<int64_t, kMaxDims>;  // in elements, not bytes

Strides contiguous_strides(const Shape& s);

// numpy broadcasting of two shapes; throws invalid_input naming `op` when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace anymal
