// Blocks and a training trajectory against PyTorch (fixtures from scripts/make_torch_fixtures.py):
// forward outputs and every parameter gradient within f32 relative error 1e-4.
#include <gtest/gtest.h>

#include <map>

#include "autograd/backward.h"
#include "core/thread_pool.h"
#include "nn/gated_cross_attention.h"
#include "nn/linear.h"
#include "nn/transformer_block.h"
#include "ops/ops.h"
#include "torch_fixture.h"
#include "train/adamw.h"

using namespace anymal;
using anymal::testkit::relative_error;

namespace {

constexpr float kTol = 1e-4f;

Tensor ints_from(const Tensor& floats) {
  std::vector<int32_t> v;
  for (float f : floats.to_floats()) v.push_back(int32_t(f));
  return Tensor::from_ints(v, floats.shape());
}

Tensor positions(int64_t n) {
  std::vector<int32_t> p;
  for (int64_t i = 0; i < n; ++i) p.push_back(int32_t(i));
  return Tensor::from_ints(p, Shape{n});
}

// Compares a forward output, the gradients of `inputs` (fixture names) and of the named
// parameters with the fixture's, after backward from its "dout".
void check_against(const nn::Module& m, testkit::Fixture& fx, Tensor out,
                   const std::vector<std::pair<std::string, Tensor>>& inputs,
                   const std::vector<std::pair<std::string, std::string>>& names) {
  EXPECT_LE(relative_error(out, fx.at("out")), kTol) << "output";
  autograd::backward(out, fx.at("dout"));
  for (const auto& [name, t] : inputs)
    EXPECT_LE(relative_error(t.grad(), fx.at("grad." + name)), kTol) << "grad." << name;
  for (auto& [ours, theirs] : names)
    EXPECT_LE(relative_error(m.parameter(ours).grad(), fx.at("grad." + theirs)), kTol)
        << "grad of " << ours << " (" << theirs << ")";
}

// Runs the block on fixture inputs and compares output and all gradients.
void check_block(nn::TransformerBlock& block, testkit::Fixture& fx,
                 const std::vector<std::pair<std::string, std::string>>& names) {
  for (auto& [ours, theirs] : names) block.load_parameter(ours, fx.at(theirs));
  Tensor x = fx.at("x").set_requires_grad();
  check_against(block, fx, block.forward(x, positions(x.dim(1))), {{"x", x}}, names);
}

}  // namespace

class TorchParity : public ::testing::Test {
 protected:
  ThreadPool pool_{2};
  ThreadPoolScope scope_{&pool_};
};

TEST_F(TorchParity, LlamaBlock) {
  auto fx = testkit::load_torch_fixture("llama_block");
  nn::BlockConfig cfg;
  cfg.dim = 64;
  cfg.n_head = 4;
  cfg.n_kv_head = 2;
  cfg.ff_dim = 160;
  Rng rng(0);
  nn::TransformerBlock block(cfg, rng);
  check_block(block, fx,
              {{"attn_norm.weight", "attn_norm"},
               {"attn_q.weight", "wq"},
               {"attn_k.weight", "wk"},
               {"attn_v.weight", "wv"},
               {"attn_output.weight", "wo"},
               {"ffn_norm.weight", "ffn_norm"},
               {"ffn_gate.weight", "w_gate"},
               {"ffn_up.weight", "w_up"},
               {"ffn_down.weight", "w_down"}});
}

TEST_F(TorchParity, VitBlock) {
  auto fx = testkit::load_torch_fixture("vit_block");
  nn::BlockConfig cfg;
  cfg.dim = 64;
  cfg.n_head = 4;
  cfg.ff_dim = 128;
  cfg.bias = true;
  cfg.norm = nn::NormKind::layer;
  cfg.mlp = nn::MlpKind::gelu_erf;
  cfg.causal = false;
  cfg.rope = false;
  Rng rng(0);
  nn::TransformerBlock block(cfg, rng);
  std::vector<std::pair<std::string, std::string>> names;
  for (auto [ours, theirs] :
       std::vector<std::pair<std::string, std::string>>{{"attn_norm", "ln1"},
                                                        {"attn_q", "q"},
                                                        {"attn_k", "k"},
                                                        {"attn_v", "v"},
                                                        {"attn_output", "o"},
                                                        {"ffn_norm", "ln2"},
                                                        {"ffn_up", "fc1"},
                                                        {"ffn_down", "fc2"}}) {
    names.push_back({ours + ".weight", theirs + ".weight"});
    names.push_back({ours + ".bias", theirs + ".bias"});
  }
  check_block(block, fx, names);
}

TEST_F(TorchParity, GatedCrossAttentionBlock) {
  auto fx = testkit::load_torch_fixture("gated_xattn");
  nn::BlockConfig cfg;
  cfg.dim = 64;
  cfg.n_head = 4;
  cfg.n_kv_head = 2;
  cfg.ff_dim = 96;
  Rng rng(0);
  nn::GatedCrossAttention block(cfg, rng);
  const std::vector<std::pair<std::string, std::string>> names = {
      {"attn_norm.weight", "attn_norm"}, {"attn_q.weight", "wq"},       {"attn_k.weight", "wk"},
      {"attn_v.weight", "wv"},           {"attn_output.weight", "wo"},  {"gate_attn", "gate_attn"},
      {"ffn_norm.weight", "ffn_norm"},   {"ffn_gate.weight", "w_gate"}, {"ffn_up.weight", "w_up"},
      {"ffn_down.weight", "w_down"},     {"gate_ffn", "gate_ffn"}};
  for (auto& [ours, theirs] : names) block.load_parameter(ours, fx.at(theirs));
  Tensor x = fx.at("x").set_requires_grad();
  Tensor media = fx.at("media").set_requires_grad();
  check_against(block, fx, block.forward(x, media), {{"x", x}, {"media", media}}, names);
}

TEST_F(TorchParity, CrossEntropyWithIgnoreIndex) {
  auto fx = testkit::load_torch_fixture("cross_entropy");
  Tensor logits = fx.at("logits").set_requires_grad();
  Tensor loss = ops::cross_entropy(logits, ints_from(fx.at("targets")), -100);
  EXPECT_LE(relative_error(loss, fx.at("loss")), kTol);
  autograd::backward(loss);
  EXPECT_LE(relative_error(logits.grad(), fx.at("grad.logits"), 1e-6f), kTol);
}

TEST_F(TorchParity, AdamWTrajectoryOfAnMlp) {
  auto fx = testkit::load_torch_fixture("adamw_mlp");
  Rng rng(0);
  nn::Linear fc1(16, 32, true, rng), fc2(32, 4, true, rng);
  fc1.load_parameter("weight", fx.at("init.fc1.weight"));
  fc1.load_parameter("bias", fx.at("init.fc1.bias"));
  fc2.load_parameter("weight", fx.at("init.fc2.weight"));
  fc2.load_parameter("bias", fx.at("init.fc2.bias"));
  train::AdamWOptions opt;
  opt.lr = 1e-2f;
  opt.weight_decay = 0.01f;
  train::AdamW adamw({fc1.weight(), fc1.bias(), fc2.weight(), fc2.bias()}, opt);
  Tensor x = fx.at("x"), targets = ints_from(fx.at("targets"));
  std::vector<float> expected = fx.at("losses").to_floats();
  for (size_t step = 0; step < expected.size(); ++step) {
    adamw.zero_grad();
    Tensor loss = ops::cross_entropy(fc2.forward(ops::gelu(fc1.forward(x))), targets);
    EXPECT_NEAR(loss.item(), expected[step], kTol * std::abs(expected[step])) << "step " << step;
    autograd::backward(loss);
    adamw.step();
  }
  EXPECT_LE(relative_error(fc1.weight(), fx.at("final.fc1.weight")), kTol);
  EXPECT_LE(relative_error(fc1.bias(), fx.at("final.fc1.bias")), kTol);
  EXPECT_LE(relative_error(fc2.weight(), fx.at("final.fc2.weight")), kTol);
  EXPECT_LE(relative_error(fc2.bias(), fx.at("final.fc2.bias")), kTol);
}

// Whisper's audio encoder stem on channels-last input: conv1d (kernel 3, padding 1), GELU,
// conv1d (stride 2), GELU, + learned positions; the stride-2 conv on an odd length checks the
// short last window.
TEST_F(TorchParity, AudioEncoderStem) {
  auto fx = testkit::load_torch_fixture("audio_stem");
  std::map<std::string, Tensor> p;
  for (const char* name : {"x", "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "pos"})
    p[name] = fx.at(name).set_requires_grad();
  Tensor h = ops::gelu_erf(ops::conv1d(p["x"], p["conv1.weight"], p["conv1.bias"], 1, 1));
  h = ops::gelu_erf(ops::conv1d(h, p["conv2.weight"], p["conv2.bias"], 2, 1));
  Tensor out = ops::add(h, p["pos"]);
  EXPECT_LE(relative_error(out, fx.at("out")), kTol);
  autograd::backward(out, fx.at("dout"));
  for (auto& [name, t] : p)
    EXPECT_LE(relative_error(t.grad(), fx.at("grad." + name)), kTol) << name;
}
