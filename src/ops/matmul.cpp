#include "ops/matmul.h"

#include "ops/elementwise.h"
#include "ops/op_util.h"
#include "ops/view.h"

namespace anymal::ops {

using namespace detail;

namespace {

// How one operand is handed to the GEMM: its data in the compute dtype, whether it is stored
// transposed relative to its logical role, and its strides. Transposed views (from transpose())
// are used as they are, by flipping the flag, not copied.
struct Operand {
  Tensor t;
  bool stored_trans = false;
  int64_t ld = 0, batch_stride = 0, batch = 1;
};

Shape batch_dims(const Tensor& t) {
  Shape s;
  for (int i = 0; i + 2 < t.ndim(); ++i) s.push_back(t.shape()[i]);
  return s;
}

// The batch dims of `t` collapse to one stride when each is laid out right after the next.
bool batch_collapses(const Tensor& t) {
  for (int i = 0; i + 3 < t.ndim(); ++i)
    if (t.shape()[i] > 1 && t.strides()[i] != t.strides()[i + 1] * t.shape()[i + 1]) return false;
  return true;
}

Operand prepare(const Tensor& x, DType compute) {
  Operand op;
  Tensor t = x;
  if (t.dtype() != compute) {
    Tensor c = Tensor::empty(t.shape(), compute);
    copy_into(t, c);
    t = c;
  }
  int nd = t.ndim();
  int64_t rows = t.shape()[nd - 2], cols = t.shape()[nd - 1];
  const Strides& st = t.strides();
  bool ok = batch_collapses(t);
  if (ok && (st[nd - 1] == 1 || cols == 1) && st[nd - 2] >= cols) {
    op.ld = rows == 1 ? cols : st[nd - 2];
  } else if (ok && (st[nd - 2] == 1 || rows == 1) && st[nd - 1] >= rows) {
    op.stored_trans = true;
    op.ld = cols == 1 ? rows : st[nd - 1];
  } else {
    t = contiguous_copy(t);
    op.ld = cols;
  }
  if (rows == 1 && cols == 1) op.ld = 1;
  op.t = t;
  op.batch = batch_dims(t).numel();
  op.batch_stride = nd > 2 ? t.strides()[nd - 3] : 0;
  return op;
}

Tensor matmul_forward(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  expect_float("matmul", a, "a");
  expect_float("matmul", b, "b");
  if (a.ndim() < 2 || b.ndim() < 2)
    fail("matmul", shapes_str(a, b) + ": operands need at least 2 dims");
  int64_t m = trans_a ? a.dim(-1) : a.dim(-2), ka = trans_a ? a.dim(-2) : a.dim(-1);
  int64_t kb = trans_b ? b.dim(-1) : b.dim(-2), n = trans_b ? b.dim(-2) : b.dim(-1);
  if (ka != kb)
    fail("matmul", shapes_str(a, b) + (trans_a || trans_b ? " (transposed)" : "") +
                       ": inner dimensions " + std::to_string(ka) + " and " + std::to_string(kb) +
                       " differ");
  Shape ba = batch_dims(a), bb = batch_dims(b);
  if (ba.ndim() > 0 && bb.ndim() > 0 && ba != bb)
    fail("matmul", shapes_str(a, b) + ": batch dimensions differ");
  Shape out_shape = ba.ndim() > 0 ? ba : bb;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape);
  if (out.numel() == 0) return out;

  DType compute = a.dtype() == DType::bf16 || b.dtype() == DType::bf16 ? DType::bf16 : DType::f32;
  Operand A = prepare(a, compute), B = prepare(b, compute);
  cpu::MatmulParams p;
  p.batch = std::max(A.batch, B.batch);
  p.m = m;
  p.n = n;
  p.k = ka;
  p.trans_a = trans_a != A.stored_trans;
  p.trans_b = trans_b != B.stored_trans;
  p.lda = A.ld;
  p.ldb = B.ld;
  p.ldc = n;
  p.stride_a = A.batch > 1 ? A.batch_stride : 0;
  p.stride_b = B.batch > 1 ? B.batch_stride : 0;
  p.stride_c = m * n;
  p.dtype = compute;
  // A shared (2-D) right operand: all batches of a row-major A form one tall GEMM.
  if (p.batch > 1 && p.stride_b == 0 && !p.trans_a && p.stride_a == m * p.lda) {
    p.m *= p.batch;
    p.batch = 1;
  }
  cpu_kernels().matmul(p, A.t.raw(), B.t.raw(), out.mutable_data<float>());
  return out;
}

// Gradient of a shared 2-D operand: sum the per-batch products.
Tensor reduce_to(const Tensor& g, const Tensor& like) {
  return g.shape() == like.shape() ? g : sum_to(g, like.shape());
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  Tensor out = matmul_forward(a, b, trans_a, trans_b);
  return record(out, "matmul", {a, b},
                [a = detach(a), b = detach(b), trans_a, trans_b](const Tensor& g_out,
                                                                 const std::vector<bool>& needs) {
                  Tensor ga, gb;
                  // A bf16 product's gradients are bf16 products too: g rounded once for both
                  // (each would otherwise round its own copy).
                  const Tensor g = a.dtype() == DType::bf16 || b.dtype() == DType::bf16
                                       ? contiguous(cast(g_out, DType::bf16))
                                       : g_out;
                  if (needs[0]) {
                    ga = trans_a ? matmul(b, g, trans_b, true) : matmul(g, b, false, !trans_b);
                    ga = reduce_to(ga, a);
                  }
                  if (needs[1]) {
                    Tensor a2 = a, g2 = g;
                    if (b.ndim() == 2 && a.ndim() > 2 && !trans_a) {  // fold batches: one GEMM
                      a2 = reshape(a, {-1, a.dim(-1)});
                      g2 = reshape(g, {-1, g.dim(-1)});
                    }
                    gb = trans_b ? matmul(g2, a2, true, trans_a) : matmul(a2, g2, !trans_a, false);
                    gb = reduce_to(gb, b);
                  }
                  return std::vector<Tensor>{ga, gb};
                });
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  if (w.ndim() != 2) fail("linear", "weight must be [out, in], got " + w.shape().str());
  Tensor y = matmul(x, w, false, true);
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace anymal::ops
