#include "ops/view.h"

#include <algorithm>
#include <numeric>

#include "ops/elementwise.h"
#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

namespace {

// Strides for viewing `x` as `shape` without a copy, or false when impossible.
bool view_strides(const Tensor& x, const Shape& shape, Strides& out) {
  if (x.is_contiguous()) {
    out = contiguous_strides(shape);
    return true;
  }
  return false;
}

Tensor reshape_impl(const Tensor& x, const std::vector<int64_t>& dims) {
  Shape requested;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1 && infer < 0) {
      infer = int(i);
      requested.push_back(1);
    } else {
      requested.push_back(dims[i]);
      known *= dims[i];
    }
  }
  if (infer >= 0 && known > 0) requested[infer] = x.numel() / known;
  if (requested.numel() != x.numel())
    fail("reshape", "cannot view " + x.shape().str() + " (" + std::to_string(x.numel()) +
                        " elements) as " + requested.str());
  const Shape& shape = requested;
  Strides st;
  Tensor out;
  if (view_strides(x, shape, st)) {
    out = x.view_as(shape, st, x.offset());
  } else {
    Tensor c = contiguous_copy(x);
    out = c.view_as(shape, contiguous_strides(shape), c.offset());
  }
  Shape in_shape = x.shape();
  return record(out, "reshape", {x}, [in_shape](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{reshape(g, in_shape)};
  });
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  return reshape_impl(x, std::vector<int64_t>(shape.begin(), shape.end()));
}

Tensor reshape(const Tensor& x, std::initializer_list<int64_t> dims) {
  return reshape_impl(x, std::vector<int64_t>(dims));
}

Tensor permute(const Tensor& x, const std::vector<int>& order) {
  int n = x.ndim();
  if (int(order.size()) != n)
    fail("permute",
         "order has " + std::to_string(order.size()) + " axes for shape " + x.shape().str());
  std::vector<bool> seen(size_t(n), false);
  Shape shape;
  Strides st{};
  for (int i = 0; i < n; ++i) {
    int a = order[size_t(i)];
    if (a < 0 || a >= n || seen[size_t(a)])
      fail("permute", "invalid axis order for shape " + x.shape().str());
    seen[size_t(a)] = true;
    shape.push_back(x.shape()[a]);
    st[i] = x.strides()[a];
  }
  std::vector<int> inverse(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) inverse[size_t(order[size_t(i)])] = i;
  return record(x.view_as(shape, st, x.offset()), "permute", {x},
                [inverse](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{permute(g, inverse)};
                });
}

Tensor transpose(const Tensor& x, int a, int b) {
  a = x.shape().normalize_axis(a);
  b = x.shape().normalize_axis(b);
  std::vector<int> order(static_cast<size_t>(x.ndim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[size_t(a)], order[size_t(b)]);
  return permute(x, order);
}

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end) {
  int ax = x.shape().normalize_axis(axis);
  int64_t n = x.shape()[ax];
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0 || end > n || start > end)
    fail("slice", "range [" + std::to_string(start) + ", " + std::to_string(end) +
                      ") out of bounds for axis " + std::to_string(axis) + " of " +
                      x.shape().str());
  Shape shape = x.shape();
  shape[ax] = end - start;
  Tensor out = x.view_as(shape, x.strides(), x.offset() + start * x.strides()[ax]);
  Shape in_shape = x.shape();
  return record(out, "slice", {x},
                [in_shape, ax, start](const Tensor& g, const std::vector<bool>&) {
                  // Scatter the gradient into zeros of the input's shape.
                  Tensor full = Tensor::zeros(in_shape);
                  Shape gs = g.shape();
                  copy_into(g, full.view_as(gs, full.strides(), start * full.strides()[ax]));
                  return std::vector<Tensor>{full};
                });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  int n = shape.ndim(), lead = n - x.ndim();
  if (lead < 0) fail("expand", "cannot expand " + x.shape().str() + " to " + shape.str());
  Strides st{};
  for (int i = 0; i < n; ++i) {
    if (i < lead) continue;
    int64_t d = x.shape()[i - lead];
    if (d == shape[i]) {
      st[i] = x.strides()[i - lead];
    } else if (d == 1) {
      st[i] = 0;
    } else {
      fail("expand", "cannot expand " + x.shape().str() + " to " + shape.str());
    }
  }
  Shape in_shape = x.shape();
  return record(x.view_as(shape, st, x.offset()), "expand", {x},
                [in_shape](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{sum_to(g, in_shape)};
                });
}

Tensor contiguous(const Tensor& x) {
  Tensor out =
      x.is_contiguous() ? x.view_as(x.shape(), x.strides(), x.offset()) : contiguous_copy(x);
  return record(out, "contiguous", {x},
                [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{g}; });
}

Tensor cast(const Tensor& x, DType dtype) {
  Tensor out;
  if (x.dtype() == dtype) {
    out = x.view_as(x.shape(), x.strides(), x.offset());
  } else {
    out = Tensor::empty(x.shape(), dtype);
    copy_into(x, out);
  }
  if (!is_float(dtype)) return out;
  return record(out, "cast", {x}, [](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{f32c(g)};
  });
}

}  // namespace anymal::ops
