#include <gtest/gtest.h>

#include <cmath>

#include "autograd/backward.h"
#include "core/thread_pool.h"
#include "tiny_lm.h"
#include "train/adamw.h"
#include "train/grad_clip.h"
#include "train/schedule.h"

using namespace anymal;
using testkit::TinyLM;

namespace {
nn::BlockConfig small_cfg() {
  nn::BlockConfig cfg;
  cfg.dim = 16;
  cfg.n_head = 2;
  cfg.n_kv_head = 1;
  cfg.ff_dim = 32;
  return cfg;
}
float max_abs_diff(const Tensor& a, const Tensor& b) {
  auto x = a.to_floats(), y = b.to_floats();
  float m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}
}  // namespace

TEST(Module, NamesMatchGgufTensorNames) {
  Rng rng(0);
  TinyLM lm(20, small_cfg(), 2, rng);
  std::vector<std::string> names;
  for (auto& [n, t] : lm.named_parameters()) names.push_back(n);
  std::vector<std::string> expect{"token_embd.weight",        "blk.0.attn_norm.weight",
                                  "blk.0.ffn_norm.weight",    "blk.0.attn_q.weight",
                                  "blk.0.attn_k.weight",      "blk.0.attn_v.weight",
                                  "blk.0.attn_output.weight", "blk.0.ffn_gate.weight",
                                  "blk.0.ffn_up.weight",      "blk.0.ffn_down.weight"};
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_EQ(names[i], expect[i]);
  EXPECT_EQ(names.back(), "output.weight");
  EXPECT_EQ(lm.parameter("blk.1.attn_k.weight").shape(), (Shape{8, 16}));
  EXPECT_THROW(lm.parameter("blk.9.attn_q.weight"), Error);
  EXPECT_THROW(lm.load_parameter("output.weight", Tensor::zeros(Shape{3, 3})), Error);
}

TEST(Module, LoraStartsAsIdentityTrainsOnlyAdaptersAndMerges) {
  Rng rng(3);
  nn::Linear lin(8, 6, true, rng);
  Tensor x = randn(Shape{4, 8}, rng);
  Tensor before = lin.forward(x);
  lin.enable_lora(2, 4.0f, rng);
  EXPECT_EQ(max_abs_diff(lin.forward(x), before), 0.0f);
  auto trainable = lin.trainable_parameters();
  ASSERT_EQ(trainable.size(), 2u);
  EXPECT_EQ(trainable[0].name(), "lora_a");
  train::AdamW opt(trainable, {});
  for (int i = 0; i < 3; ++i) {
    opt.zero_grad();
    autograd::backward(ops::sum_all(ops::mul(lin.forward(x), lin.forward(x))));
    EXPECT_FALSE(lin.weight().grad().defined());
    opt.step();
  }
  Tensor adapted = lin.forward(x);
  EXPECT_GT(max_abs_diff(adapted, before), 1e-4f);
  lin.merge_lora();
  EXPECT_LT(max_abs_diff(lin.forward(x), adapted), 1e-5f);
}

TEST(Module, Bf16ComputeStaysCloseToF32) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(5);
  nn::Linear lin(64, 32, true, rng);
  Tensor x = randn(Shape{8, 64}, rng);
  Tensor ref = lin.forward(x);
  lin.set_compute_dtype(DType::bf16);
  Tensor got = lin.forward(x.set_requires_grad());
  EXPECT_LT(max_abs_diff(got, ref), 0.03f);
  autograd::backward(ops::sum_all(got));
  EXPECT_EQ(lin.weight().grad().dtype(), DType::f32);
}

TEST(Optim, GradientAccumulationEqualsOneBigBatch) {
  Rng rng(9);
  TinyLM a(12, small_cfg(), 1, rng);
  Tensor ids = Tensor::from_ints({1, 2, 3, 4, 5, 6, 7, 8}, Shape{2, 4});
  Tensor tg = Tensor::from_ints({2, 3, 4, 5, 6, 7, 8, 9}, Shape{8});
  autograd::backward(ops::cross_entropy(ops::reshape(a.forward(ids), {-1, 12}), tg));
  std::vector<Tensor> full;
  for (auto& p : a.trainable_parameters()) full.push_back(p.grad());
  a.zero_grad();
  for (int half = 0; half < 2; ++half) {
    Tensor part = ops::slice(ids, 0, half, half + 1);
    Tensor ptg = ops::slice(tg, 0, half * 4, half * 4 + 4);
    autograd::backward(
        ops::scale(ops::cross_entropy(ops::reshape(a.forward(part), {-1, 12}), ptg), 0.5f));
  }
  auto params = a.trainable_parameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_LT(max_abs_diff(params[i].grad(), full[i]), 1e-5f) << params[i].name();
}

TEST(Optim, ClipGradNormScalesToMaxNorm) {
  Tensor p = Tensor::zeros(Shape{2}).set_requires_grad();
  autograd::backward(ops::sum_all(ops::mul(p, Tensor::from_floats({3, 4}, Shape{2}))));
  EXPECT_FLOAT_EQ(train::clip_grad_norm({p}, 1.0f), 5.0f);
  auto g = p.grad().to_floats();
  EXPECT_NEAR(g[0], 0.6f, 1e-5f);
  EXPECT_NEAR(g[1], 0.8f, 1e-5f);
}

TEST(Optim, WarmupThenCosine) {
  train::WarmupCosine s{1.0f, 0.1f, 10, 110};
  EXPECT_FLOAT_EQ(s.at(0), 0.1f);
  EXPECT_FLOAT_EQ(s.at(9), 1.0f);
  EXPECT_FLOAT_EQ(s.at(10), 1.0f);
  EXPECT_NEAR(s.at(60), 0.55f, 1e-5f);
  EXPECT_NEAR(s.at(110), 0.1f, 1e-6f);
  EXPECT_NEAR(s.at(500), 0.1f, 1e-6f);
}

TEST(Determinism, ResultsDoNotDependOnTheThreadCount) {
  // Reductions run in a fixed block order, so 1 and 2 threads give bit-identical gradients.
  auto run = [](int threads) {
    ThreadPool pool(threads);
    ThreadPoolScope scope(&pool);
    Rng rng(21);
    nn::BlockConfig cfg = small_cfg();
    cfg.dim = 64;
    cfg.n_head = 4;
    cfg.n_kv_head = 2;
    cfg.ff_dim = 96;
    TinyLM lm(50, cfg, 2, rng);
    std::vector<int32_t> ids(3 * 70), tg(3 * 70);
    for (size_t i = 0; i < ids.size(); ++i)
      ids[i] = int32_t(i * 7 % 50), tg[i] = int32_t(i * 3 % 50);
    Tensor loss =
        ops::cross_entropy(ops::reshape(lm.forward(Tensor::from_ints(ids, Shape{3, 70})), {-1, 50}),
                           Tensor::from_ints(tg, Shape{210}));
    autograd::backward(loss);
    std::vector<float> all{loss.item()};
    for (auto& p : lm.trainable_parameters())
      for (float v : p.grad().to_floats()) all.push_back(v);
    return all;
  };
  EXPECT_EQ(run(1), run(2));
}
