#include "ops/elementwise.h"

#include "ops/op_util.h"
#include "ops/view.h"

namespace anymal::ops {

using namespace detail;

namespace {

const char* binary_name(cpu::BinaryOp op) {
  switch (op) {
    case cpu::BinaryOp::add:
      return "add";
    case cpu::BinaryOp::sub:
      return "sub";
    case cpu::BinaryOp::mul:
      return "mul";
    case cpu::BinaryOp::div:
      return "div";
  }
  return "?";
}

// True when b (left-padded with 1s) equals the trailing dims of `out`, so b repeats as rows.
bool is_trailing_block(const Shape& b, const Shape& out) {
  if (b.ndim() > out.ndim()) return false;
  int lead = out.ndim() - b.ndim(), first = 0;
  while (first < b.ndim() && b[first] == 1) ++first;  // leading 1s of b broadcast too
  for (int i = first; i < b.ndim(); ++i)
    if (b[i] != out[lead + i]) return false;
  for (int i = lead + first; i < out.ndim(); ++i)
    if (out[i] != b[i - lead]) return false;
  return true;
}

Tensor binary_forward(cpu::BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  expect_float(name, a, "a");
  expect_float(name, b, "b");
  Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor af = a.shape() == out_shape ? f32c(a) : f32c(expand(detach(a), out_shape));
  Tensor bf = f32c(b);
  if (!is_trailing_block(b.shape(), out_shape) && b.numel() != 1)
    bf = f32c(expand(detach(b), out_shape));
  Tensor out = Tensor::empty(out_shape);
  cpu_kernels().binary(op, af.data<float>(), out.numel(), bf.data<float>(), bf.numel(),
                       out.mutable_data<float>());
  return to_dtype(out, a.dtype());
}

Tensor binary(cpu::BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(op, a, b);
  Shape as = a.shape(), bs = b.shape();
  return record(
      out, binary_name(op), {a, b},
      [op, a = detach(a), b = detach(b), as, bs](const Tensor& g, const std::vector<bool>& needs) {
        Tensor ga, gb;
        switch (op) {
          case cpu::BinaryOp::add:
            ga = g;
            gb = g;
            break;
          case cpu::BinaryOp::sub:
            ga = g;
            if (needs[1]) gb = scale(g, -1.0f);
            break;
          case cpu::BinaryOp::mul:
            if (needs[0]) ga = mul(g, b);
            if (needs[1]) gb = mul(g, a);
            break;
          case cpu::BinaryOp::div:
            if (needs[0]) ga = div(g, b);
            if (needs[1]) gb = scale(div(mul(g, a), mul(b, b)), -1.0f);
            break;
        }
        if (needs[0]) ga = sum_to(f32c(ga), as);
        if (needs[1]) gb = sum_to(f32c(gb), bs);
        return std::vector<Tensor>{needs[0] ? ga : Tensor(), needs[1] ? gb : Tensor()};
      });
}

const char* unary_name(cpu::UnaryOp op) {
  switch (op) {
    case cpu::UnaryOp::gelu_tanh:
      return "gelu";
    case cpu::UnaryOp::gelu_erf:
      return "gelu_erf";
    case cpu::UnaryOp::quick_gelu:
      return "quick_gelu";
    case cpu::UnaryOp::silu:
      return "silu";
    case cpu::UnaryOp::tanh:
      return "tanh";
  }
  return "?";
}

Tensor unary(cpu::UnaryOp op, const Tensor& x) {
  expect_float(unary_name(op), x, "x");
  Tensor xf = f32c(x);
  Tensor y = Tensor::empty(x.shape());
  cpu_kernels().unary(op, xf.data<float>(), y.mutable_data<float>(), y.numel());
  return record(to_dtype(y, x.dtype()), unary_name(op), {x},
                [op, xf](const Tensor& g, const std::vector<bool>&) {
                  Tensor gf = f32c(g), gx = Tensor::empty(xf.shape());
                  cpu_kernels().unary_backward(op, xf.data<float>(), gf.data<float>(),
                                               gx.mutable_data<float>(), gx.numel());
                  return std::vector<Tensor>{gx};
                });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(cpu::BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(cpu::BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(cpu::BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(cpu::BinaryOp::div, a, b); }

Tensor scale(const Tensor& x, float s) {
  expect_float("scale", x, "x");
  Tensor xf = f32c(x), y = Tensor::empty(x.shape());
  cpu_kernels().binary(cpu::BinaryOp::mul, xf.data<float>(), y.numel(), &s, 1,
                       y.mutable_data<float>());
  return record(
      to_dtype(y, x.dtype()), "scale", {x},
      [s](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{scale(g, s)}; });
}

Tensor gelu(const Tensor& x) { return unary(cpu::UnaryOp::gelu_tanh, x); }
Tensor gelu_erf(const Tensor& x) { return unary(cpu::UnaryOp::gelu_erf, x); }
Tensor quick_gelu(const Tensor& x) { return unary(cpu::UnaryOp::quick_gelu, x); }
Tensor silu(const Tensor& x) { return unary(cpu::UnaryOp::silu, x); }
Tensor tanh(const Tensor& x) { return unary(cpu::UnaryOp::tanh, x); }

Tensor swiglu(const Tensor& gate, const Tensor& up) {
  expect_float("swiglu", gate, "gate");
  expect_float("swiglu", up, "up");
  if (gate.shape() != up.shape()) fail("swiglu", "gate and up differ: " + shapes_str(gate, up));
  Tensor gf = f32c(gate), uf = f32c(up), y = Tensor::empty(gate.shape());
  cpu_kernels().swiglu(gf.data<float>(), uf.data<float>(), y.mutable_data<float>(), y.numel());
  return record(to_dtype(y, gate.dtype()), "swiglu", {gate, up},
                [gf, uf](const Tensor& g, const std::vector<bool>&) {
                  Tensor go = f32c(g), gg = Tensor::empty(gf.shape()),
                         gu = Tensor::empty(gf.shape());
                  cpu_kernels().swiglu_backward(gf.data<float>(), uf.data<float>(),
                                                go.data<float>(), gg.mutable_data<float>(),
                                                gu.mutable_data<float>(), gg.numel());
                  return std::vector<Tensor>{gg, gu};
                });
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Shape check = broadcast_shapes(x.shape(), shape, "sum_to");
  if (check != x.shape()) fail("sum_to", "cannot reduce " + x.shape().str() + " to " + shape.str());
  // Accumulate every element of x into the position it broadcast from (stride 0 on the
  // expanded dims), in x's row-major order: deterministic.
  Tensor out = Tensor::zeros(shape);
  int lead = x.ndim() - shape.ndim();
  Strides st{};
  Strides cs = contiguous_strides(shape);
  for (int i = lead; i < x.ndim(); ++i) st[i] = shape[i - lead] == 1 ? 0 : cs[i - lead];
  Tensor xf = f32c(x);
  const float* src = xf.data<float>();
  float* dst = out.mutable_data<float>();
  for_each_index(x.shape(), st, 0, [&](int64_t i, int64_t pos) { dst[pos] += src[i]; });
  return record(out, "sum_to", {x}, [xs = x.shape()](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{expand(g, xs)};
  });
}

}  // namespace anymal::ops
