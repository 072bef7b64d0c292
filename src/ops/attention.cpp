#include "ops/attention.h"

#include <cmath>

#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal, const Tensor& mask,
                 float scale) {
  const char* op = "attention";
  expect_float(op, q, "q");
  expect_float(op, k, "k");
  expect_float(op, v, "v");
  expect_ndim(op, q, 4, "q [B,T,H,D]");
  expect_ndim(op, k, 4, "k [B,T,H_kv,D]");
  expect_ndim(op, v, 4, "v [B,T,H_kv,D]");
  cpu::AttentionParams p;
  p.batch = q.dim(0);
  p.n_q = q.dim(1);
  p.n_head = q.dim(2);
  p.head_dim = q.dim(3);
  p.n_kv = k.dim(1);
  p.n_kv_head = k.dim(2);
  if (k.shape() != v.shape())
    fail(op, "k " + k.shape().str() + " and v " + v.shape().str() + " differ");
  if (k.dim(0) != p.batch || k.dim(3) != p.head_dim)
    fail(op, "q " + q.shape().str() + " and k " + k.shape().str() + " differ in batch or head dim");
  if (p.n_kv_head == 0 || p.n_head % p.n_kv_head != 0)
    fail(op, std::to_string(p.n_head) + " query heads are not a multiple of " +
                 std::to_string(p.n_kv_head) + " kv heads");
  Tensor mf;
  if (mask.defined()) {
    expect_float(op, mask, "mask");
    if (mask.shape() != Shape{p.n_q, p.n_kv})
      fail(op, "mask has shape " + mask.shape().str() + ", expected " + Shape{p.n_q, p.n_kv}.str());
    mf = f32c(mask);
    p.mask = mf.data<float>();
  }
  p.causal = causal;
  p.scale = scale > 0 ? scale : 1.0f / std::sqrt(float(p.head_dim));
  Tensor qf = f32c(q), kf = f32c(k), vf = f32c(v);
  Tensor out = Tensor::empty(q.shape()), lse = Tensor::empty(Shape{p.batch, p.n_head, p.n_q});
  if (out.numel() > 0)
    cpu_kernels().attention(p, qf.data<float>(), kf.data<float>(), vf.data<float>(),
                            out.mutable_data<float>(), lse.mutable_data<float>());
  return record(
      to_dtype(out, q.dtype()), op, {q, k, v},
      [p, qf, kf, vf, mf, lse, out = detach(out)](const Tensor& g, const std::vector<bool>&) {
        Tensor gf = f32c(g);
        Tensor gq = Tensor::empty(qf.shape()), gk = Tensor::empty(kf.shape()),
               gv = Tensor::empty(vf.shape());
        if (gq.numel() > 0)
          cpu_kernels().attention_backward(p, qf.data<float>(), kf.data<float>(), vf.data<float>(),
                                           out.data<float>(), lse.data<float>(), gf.data<float>(),
                                           gq.mutable_data<float>(), gk.mutable_data<float>(),
                                           gv.mutable_data<float>());
        return std::vector<Tensor>{gq, gk, gv};
      });
}

}  // namespace anymal::ops
