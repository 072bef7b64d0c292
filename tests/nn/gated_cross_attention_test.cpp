// The gated cross-attention block: at its initial gates (0) it is exactly the identity; with
// open gates, the gradients of its inputs (text and media) and of every parameter match finite
// differences; text-side shapes and media of any length work, bad shapes are clear errors.
#include "nn/gated_cross_attention.h"

#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "core/error.h"

using namespace anymal;

namespace {

nn::BlockConfig small_block() {
  nn::BlockConfig b;
  b.dim = 8;
  b.n_head = 4;
  b.n_kv_head = 2;
  b.ff_dim = 12;
  return b;
}

Tensor random(Rng& rng, const Shape& s) {
  std::vector<float> v(size_t(s.numel()));
  for (float& x : v) x = rng.normal();
  return Tensor::from_floats(v, s);
}

}  // namespace

TEST(GatedCrossAttention, ClosedGatesAreTheIdentity) {
  Rng rng(1);
  nn::GatedCrossAttention xa(small_block(), rng);
  const Tensor x = random(rng, {2, 5, 8}), media = random(rng, {2, 3, 8});
  EXPECT_EQ(xa.forward(x, media).to_floats(), x.to_floats());
}

TEST(GatedCrossAttention, GradientsMatchFiniteDifferences) {
  Rng rng(2);
  nn::GatedCrossAttention xa(small_block(), rng);
  for (const auto& [name, t] : xa.named_parameters()) {
    float* d = t.mutable_data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) d[i] += rng.normal(0.0f, 0.3f);
  }
  xa.gate_attn.mutable_data<float>()[0] = 0.6f;
  xa.gate_ffn.mutable_data<float>()[0] = -0.4f;
  Tensor x = random(rng, {2, 4, 8}).set_requires_grad();
  Tensor media = random(rng, {2, 3, 8}).set_requires_grad();
  std::vector<Tensor> inputs{x, media};
  for (const auto& [name, t] : xa.named_parameters()) inputs.push_back(t);
  auto r = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) { return xa.forward(in[0], in[1]); }, inputs);
  EXPECT_TRUE(r.ok()) << r.worst << " at " << r.where;
}

TEST(GatedCrossAttention, AnyMediaLengthAndClearShapeErrors) {
  Rng rng(3);
  nn::GatedCrossAttention xa(small_block(), rng);
  xa.gate_attn.mutable_data<float>()[0] = 1.0f;
  for (int64_t m : {1, 7, 33})
    EXPECT_EQ(xa.forward(random(rng, {1, 3, 8}), random(rng, {1, m, 8})).shape(), Shape({1, 3, 8}));
  EXPECT_THROW(xa.forward(random(rng, {1, 3, 8}), random(rng, {2, 4, 8})), Error);
  EXPECT_THROW(xa.forward(random(rng, {1, 3, 8}), random(rng, {1, 4, 6})), Error);
  EXPECT_THROW(xa.forward(random(rng, {1, 3, 8}), Tensor::zeros({1, 0, 8})), Error);
}
