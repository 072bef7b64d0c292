// The cross-attention family (model.xattn_every): with its gates closed the model is exactly the
// text LM whatever the image; exported to llama + mmproj GGUF files and run by the inference
// engine (keys/values of the image computed once, attached to the sequence) it gives the
// training forward's logits, alone and inside a continuous batch beside a text-only sequence;
// a batch mixing examples with and without inputs has the loss of its rows.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/backward.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "formats/gguf_writer.h"
#include "models/anymal/anymal_model.h"
#include "models/anymal/encoders.h"
#include "models/anymal/export.h"
#include "models/llm/llama_forward.h"
#include "models/tiny_anymal.h"
#include "temp_dir.h"
#include "text/bpe_trainer.h"
#include "train/adamw.h"

using namespace anymal;
using namespace anymal::models;
using testkit::TempDir;

namespace {

AnymalConfig xattn_config(int64_t vocab, const std::string& projector, int64_t every) {
  AnymalConfig c = testkit::tiny_anymal_config(vocab);
  c.lm.n_layer = 3;
  c.projector = projector;
  c.perceiver_queries = 4;
  c.perceiver_heads = 2;
  c.xattn_every = every;
  return c;
}

void open_gates(AnymalModel& m) {
  float g = 0.9f;
  for (auto& x : m.xattn) {
    x->gate_attn.mutable_data<float>()[0] = g;
    x->gate_ffn.mutable_data<float>()[0] = -g / 2;
    g = -g * 0.8f;
  }
}

MultimodalExample example() {
  MultimodalExample ex;
  ex.before = {298, 5, 6};
  ex.after = {7, 8, 9};
  ex.answer = {40, 41, 299};
  ex.media = Modality::image;
  return ex;
}

}  // namespace

class XattnFamily : public ::testing::Test {
 protected:
  ThreadPool pool_{2};
  ThreadPoolScope scope_{&pool_};
};

TEST_F(XattnFamily, ClosedGatesAreExactlyTheTextLm) {
  Rng rng(1);
  AnymalModel model(xattn_config(300, "mlp", 2), rng);
  ASSERT_EQ(model.xattn.size(), 2u);  // before blocks 0 and 2
  const MultimodalExample ex = example();
  EXPECT_EQ(model.prefix_length(ex), 6);  // the image takes no positions
  std::vector<int32_t> text = ex.before;
  for (const auto& part : {ex.after, ex.answer}) text.insert(text.end(), part.begin(), part.end());
  const Tensor want = model.lm.forward(Tensor::from_ints(text, Shape{1, int64_t(text.size())}));
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(model.logits(ex, randn({1, 3, 32, 32}, rng)).to_floats(), want.to_floats());
  open_gates(model);
  EXPECT_NE(model.logits(ex, randn({1, 3, 32, 32}, rng)).to_floats(), want.to_floats());
}

TEST_F(XattnFamily, BatchMixingInputsAndTextHasTheLossOfItsRows) {
  Rng rng(2);
  AnymalModel model(xattn_config(300, "perceiver", 1), rng);
  open_gates(model);
  MultimodalExample a = example(), b;
  b = {{298, 9}, {}, {50, 51, 299}, Modality::none};
  const Tensor pixels = randn({1, 3, 32, 32}, rng);
  const float la = model.loss({a}, pixels).item(), lb = model.loss({b}, Tensor()).item();
  // Mean over answer tokens: a has 3 targets, b 3.
  EXPECT_NEAR(model.loss({a, b}, pixels).item(), (la + lb) / 2, 1e-5f);
  // Training the projector and the blocks (the LM frozen) lowers the loss.
  model.set_requires_grad(false);
  model.perceiver->set_requires_grad(true);
  for (auto& x : model.xattn) x->set_requires_grad(true);
  train::AdamWOptions opt;
  opt.lr = 1e-2f;
  train::AdamW adam(model.trainable_parameters(), opt);
  for (int i = 0; i < 30; ++i) {
    adam.zero_grad();
    Tensor loss = model.loss({a}, pixels);
    autograd::backward(loss);
    adam.step();
  }
  // (A frozen random LM caps how far: its output norm bounds the logits.)
  EXPECT_LT(model.loss({a}, pixels).item(), la * 0.8f);
}

class XattnExport : public ::testing::TestWithParam<std::string> {
 protected:
  ThreadPool pool_{2};
  ThreadPoolScope scope_{&pool_};
};

TEST_P(XattnExport, InferenceEngineGivesTheTrainingLogits) {
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back("USER: what is " + std::to_string(i * 7) + "?");
  const text::BpeVocab vocab = text::train_bpe(texts, 300);
  GgufWriter tw;
  vocab.write_gguf(tw);
  auto tokenizer_file = tw.to_memory("tokenizer");
  Rng rng(42);
  AnymalModel model(xattn_config(int64_t(vocab.tokens.size()), GetParam(), 2), rng);
  open_gates(model);
  TempDir tmp("xattn");
  export_language_model(model, *tokenizer_file, tmp.str("model.gguf"), GgmlType::f32);
  export_mmproj(model, tmp.str("mmproj.gguf"), GgmlType::f32);
  auto lm = LlamaModel::load(tmp.str("model.gguf"));
  const Encoders enc = Encoders::load(tmp.str("mmproj.gguf"), lm->config().n_embd);
  ASSERT_TRUE(enc.xattn);
  EXPECT_EQ(enc.xattn->blocks().size(), 2u);
  lm->set_cross_attention(enc.xattn);

  const Tensor pixels = randn({1, 3, 32, 32}, rng);
  const Tensor image = model.image_tokens(pixels);  // [1, n, D]
  MultimodalExample ex = example();
  const int64_t V = lm->config().n_vocab;
  for (auto* part : {&ex.before, &ex.after, &ex.answer})
    for (int32_t& t : *part) t %= int32_t(V);
  const Tensor want = model.logits(ex, pixels);  // [1, T, V]
  std::vector<int32_t> text = ex.before;
  for (const auto& part : {ex.after, ex.answer}) text.insert(text.end(), part.begin(), part.end());
  const int64_t T = int64_t(text.size());
  ASSERT_EQ(want.dim(1), T);

  KvCache cache(lm->config(), 32);
  enc.xattn->attach(cache.memory, image.data<float>(), image.dim(1));
  LlamaWorkspace ws(lm->config(), 32);
  std::vector<float> got(size_t(T * V));
  llama_eval(*lm, cache, ws, text.data(), T, true, got.data());
  double max_diff = 0;
  for (int64_t i = 0; i < T * V; ++i)
    max_diff = std::max(max_diff, std::abs(double(got[size_t(i)]) - want.data<float>()[i]));
  EXPECT_LT(max_diff, 1e-3) << "max |logit difference| over " << T << " positions";

  // Continuous batching: the same sequence next to a text-only one, one token each after
  // their prompts, gives what each gives alone.
  KvCache with(lm->config(), 32), without(lm->config(), 32), alone(lm->config(), 32);
  enc.xattn->attach(with.memory, image.data<float>(), image.dim(1));
  std::vector<float> scratch(size_t(T * V));
  llama_eval(*lm, with, ws, text.data(), T - 1, false, scratch.data());
  llama_eval(*lm, without, ws, text.data(), T - 1, false, scratch.data());
  llama_eval(*lm, alone, ws, text.data(), T, false, scratch.data());  // the plain LM's last row
  const std::vector<float> plain(scratch.begin(), scratch.begin() + V);
  const int32_t last = text.back();
  std::vector<SeqInput> seqs(2);
  seqs[0] = {&with, &last, nullptr, 1, true};
  seqs[1] = {&without, &last, nullptr, 1, true};
  std::vector<float> both(size_t(2 * V));
  llama_eval_batch(*lm, seqs, ws, both.data());
  for (int64_t v = 0; v < V; ++v) {
    ASSERT_NEAR(both[size_t(v)], got[size_t((T - 1) * V + v)], 1e-3) << v;
    ASSERT_NEAR(both[size_t(V + v)], plain[size_t(v)], 1e-4) << v;
  }
}

INSTANTIATE_TEST_SUITE_P(Projectors, XattnExport, ::testing::Values("mlp", "perceiver"));

TEST_F(XattnFamily, BlocksThatDoNotFitTheLmAreRefused) {
  std::vector<std::string> texts(20, "a b c d e f g");
  const text::BpeVocab vocab = text::train_bpe(texts, 300);
  GgufWriter tw;
  vocab.write_gguf(tw);
  auto tokenizer_file = tw.to_memory("tokenizer");
  const int64_t n_vocab = int64_t(vocab.tokens.size());
  Rng rng(3);
  AnymalModel model(xattn_config(n_vocab, "mlp", 1), rng);
  AnymalConfig other_cfg = xattn_config(n_vocab, "mlp", 1);
  other_cfg.lm.n_layer = 2;
  AnymalModel other(other_cfg, rng);
  TempDir tmp("xattn_fit");
  export_language_model(other, *tokenizer_file, tmp.str("small.gguf"), GgmlType::f32);
  export_mmproj(model, tmp.str("mmproj.gguf"), GgmlType::f16);
  auto lm = LlamaModel::load(tmp.str("small.gguf"));
  const Encoders enc = Encoders::load(tmp.str("mmproj.gguf"), lm->config().n_embd);
  EXPECT_THROW(lm->set_cross_attention(enc.xattn), Error);  // a block before LM block 2 of 2
}
