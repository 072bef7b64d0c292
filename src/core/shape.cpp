#include "core/shape.h"

#include <algorithm>

#include "core/error.h"

namespace anymal {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

void Shape::push_back(int64_t d) {
  if (ndim_ >= kMaxDims)
    throw_error(ErrorKind::unsupported,
                "tensors have at most " + std::to_string(kMaxDims) + " dims");
  if (d < 0) throw_error(ErrorKind::invalid_input, "negative dimension " + std::to_string(d));
  dims_[ndim_++] = d;
}

int Shape::normalize_axis(int axis) const {
  int a = axis < 0 ? axis + ndim_ : axis;
  if (a < 0 || a >= ndim_)
    throw_error(ErrorKind::invalid_input,
                "axis " + std::to_string(axis) + " out of range for shape " + str());
  return a;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  return ndim_ == o.ndim_ && std::equal(begin(), end(), o.begin());
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < ndim_; ++i) s += (i ? "," : "") + std::to_string(dims_[i]);
  return s + "]";
}

Strides contiguous_strides(const Shape& s) {
  Strides st{};
  int64_t acc = 1;
  for (int i = s.ndim() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = std::max(a.ndim(), b.ndim());
  Shape out;
  for (int i = 0; i < n; ++i) {
    int ia = i - (n - a.ndim()), ib = i - (n - b.ndim());
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw_error(ErrorKind::invalid_input, std::string(op) + ": shapes " + a.str() + " and " +
                                                b.str() + " cannot be broadcast");
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

}  // namespace anymal
