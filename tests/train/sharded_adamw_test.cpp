// The sharded optimizer in one process (a world of one: every rank's range is everything),
// on a small Llama LM, trained whole and through LoRA: each level's steps give AdamW's bits,
// and ZeRO-3 keeps its blocks (trainable and frozen weights) whole only while they are used —
// one block after forward, at most two during backward, none between steps. (Across processes:
// tests/train/shard_check.sh.)
#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "core/storage.h"
#include "nn/llama_lm.h"
#include "ops/ops.h"
#include "train/grad_clip.h"
#include "train/sharded_adamw.h"

namespace anymal::train {
namespace {

nn::LlamaLmConfig lm_config() {
  nn::LlamaLmConfig c;
  c.vocab = 40;
  c.dim = 32;
  c.n_layer = 3;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.ff = 48;
  return c;
}

Tensor lm_loss(const nn::LlamaLM& lm, int step) {
  std::vector<int32_t> ids(2 * 12), tg(2 * 12);
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = int32_t((i * 7 + size_t(step)) % 40), tg[i] = int32_t((i * 3 + size_t(step)) % 40);
  const Tensor logits = lm.forward_embeddings(lm.embed(Tensor::from_ints(ids, Shape{2, 12})));
  return ops::cross_entropy(ops::reshape(logits, {-1, 40}), Tensor::from_ints(tg, Shape{24}));
}

std::vector<std::string> names_of(const nn::Module& m, const std::vector<Tensor>& params) {
  std::vector<std::string> out;
  for (const Tensor& p : params)
    for (const auto& [name, t] : m.named_parameters())
      if (t.same(p)) out.push_back(name);
  return out;
}

std::vector<float> weights(const nn::Module& m) {
  std::vector<float> all;
  for (const auto& [name, t] : m.named_parameters())
    for (float v : t.to_floats()) all.push_back(v);
  return all;
}

// How many of the LM's blocks hold their weights right now.
int whole_blocks(const nn::LlamaLM& lm) {
  int n = 0;
  for (const auto& b : lm.blocks)
    n += !b->attn_norm->named_parameters()[0].second.impl()->storage->dropped();
  return n;
}

// LoRA: adapters on every linear layer train, the base weights (and norms) stay frozen.
void lora_only(nn::LlamaLM& lm) {
  Rng rng(9);
  lm.enable_lora(4, 8.0f, rng);
  lm.set_requires_grad(false);
  for (auto& [name, t] : lm.named_parameters())
    if (name.find("lora_") != std::string::npos) const_cast<Tensor&>(t).set_requires_grad(true);
}

std::vector<float> train_plain(int steps, bool lora) {
  Rng rng(5);
  nn::LlamaLM lm(lm_config(), rng);
  if (lora) lora_only(lm);
  AdamWOptions o;
  o.lr = 3e-3f;
  AdamW adam(lm.trainable_parameters(), o);
  for (int s = 0; s < steps; ++s) {
    adam.zero_grad();
    autograd::backward(lm_loss(lm, s));
    clip_grad_norm(adam.params(), 1.0f);
    adam.step();
  }
  return weights(lm);
}

// Full training, then LoRA (where ZeRO-3 shards the frozen base weights of each block too).
class ShardedAdamWTest : public ::testing::TestWithParam<bool> {};

TEST_P(ShardedAdamWTest, EveryLevelFollowsAdamWBitForBit) {
  const bool lora = GetParam();
  const std::vector<float> expected = train_plain(4, lora);
  for (ShardLevel level : {ShardLevel::optimizer, ShardLevel::gradients, ShardLevel::parameters}) {
    Rng rng(5);
    nn::LlamaLM lm(lm_config(), rng);
    if (lora) lora_only(lm);
    auto comm = Comm::single();
    const std::vector<Tensor> params = lm.trainable_parameters();
    AdamWOptions o;
    o.lr = 3e-3f;
    ShardedAdamW opt(params, names_of(lm, params), o, *comm, level);
    std::vector<nn::Module*> blocks;
    for (auto& b : lm.blocks) blocks.push_back(b.get());
    opt.set_units(blocks, lm);
    opt.shard_weights();
    GradSync sync(params, opt.layout(), *comm,
                  {level >= ShardLevel::gradients, true, false, int64_t(1) << 12});
    sync.set_hooks(opt.pass_hooks());
    for (int s = 0; s < 4; ++s) {
      opt.begin_passes();
      const bool zero3 = level == ShardLevel::parameters;
      if (zero3) EXPECT_EQ(whole_blocks(lm), 0);
      const Tensor loss = lm_loss(lm, s);
      if (zero3) EXPECT_EQ(whole_blocks(lm), 1) << "after forward: the last block only";
      int most = 0;
      PassHooks hooks = opt.pass_hooks();
      auto before = hooks.before_node;
      hooks.before_node = [&](const autograd::Node& op) {
        before(op);
        most = std::max(most, whole_blocks(lm));
      };
      if (zero3) sync.set_hooks(hooks);
      sync.backward(loss, true);
      if (zero3) EXPECT_LE(most, 2) << "backward holds a block and the one it moves to";
      if (zero3) EXPECT_GE(most, 1);
      opt.end_passes();
      opt.step(sync, 3e-3f, 1.0f);
    }
    opt.gather_all();
    EXPECT_EQ(weights(lm), expected) << shard_level_name(level);
  }
}

INSTANTIATE_TEST_SUITE_P(FullAndLora, ShardedAdamWTest, ::testing::Values(false, true));

TEST(ShardedAdamW, LevelsParseAndBadNamesAreRefused) {
  EXPECT_EQ(parse_shard_level("gradients"), ShardLevel::gradients);
  EXPECT_THROW(parse_shard_level("zero3"), Error);
}

}  // namespace
}  // namespace anymal::train
