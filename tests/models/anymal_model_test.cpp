// The trainable AnyMAL model against the inference engine: a model exported to llama + clip
// GGUF files and loaded back by LlamaModel / VisionModel gives the same image embeddings and
// logits as the training-side forward (mlp and Perceiver projectors). Also: the BPE trainer,
// config validation, and a few optimizer steps lowering the answer loss.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "autograd/backward.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "data/synth_world.h"
#include "formats/gguf_writer.h"
#include "models/anymal/anymal_model.h"
#include "models/anymal/export.h"
#include "models/anymal/vision.h"
#include "models/encoders/vit.h"
#include "models/llm/llama_forward.h"
#include "models/tiny_anymal.h"
#include "temp_dir.h"
#include "text/bpe_trainer.h"
#include "text/tokenizer.h"
#include "train/adamw.h"

using namespace anymal;
using testkit::TempDir;
using namespace anymal::models;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> world_text(int n) {
  std::vector<std::string> texts;
  for (int i = 0; i < n; ++i) {
    const data::SynthSample s = data::synth_sample(1, data::Split::train, i, 96);
    texts.push_back("USER: " + s.question + " ASSISTANT: " + s.answer);
  }
  return texts;
}

AnymalConfig small_config(int64_t vocab, const std::string& projector) {
  AnymalConfig c = testkit::tiny_anymal_config(vocab, 32, 3);
  c.projector = projector;
  c.perceiver_queries = 4;
  c.perceiver_layers = 2;
  c.perceiver_heads = 2;
  return c;
}

}  // namespace

TEST(BpeTrainer, LearnsTheWorldsWordsAndRoundTrips) {
  const auto texts = world_text(240);
  const text::BpeVocab v = text::train_bpe(texts, 600);
  EXPECT_LE(v.tokens.size(), 600u);
  EXPECT_GT(v.merges.size(), 100u);
  GgufWriter w;
  v.write_gguf(w);
  auto tok = text::Tokenizer::from_gguf(*w.to_memory("bpe"));
  for (const std::string& t : texts) EXPECT_EQ(tok->decode(tok->encode(t, false)), t);
  // A frequent word is one token; text never seen still encodes (byte fallback of BPE).
  EXPECT_EQ(tok->encode(" colour", false).size(), 1u);
  EXPECT_EQ(tok->decode(tok->encode("Zebra 42 ünïcode", false)), "Zebra 42 ünïcode");
  // Deterministic.
  EXPECT_EQ(text::train_bpe(texts, 600).merges, v.merges);
  EXPECT_THROW(text::train_bpe(texts, 100), Error);
}

TEST(AnymalConfig, UnknownKeysAndBadValuesAreNamed) {
  nlohmann::json j = small_config(300, "mlp").to_json();
  EXPECT_EQ(AnymalConfig::from_json(j, "cfg").to_json(), j);
  auto message = [](const nlohmann::json& bad) {
    try {
      AnymalConfig::from_json(bad, "cfg");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nlohmann::json bad = j;
  bad["lm"]["dimm"] = 3;
  EXPECT_NE(message(bad).find("cfg.lm: unknown key \"dimm\""), std::string::npos);
  bad = j;
  bad["vit"]["patch"] = 7;
  EXPECT_NE(message(bad).find("multiple of patch"), std::string::npos);
  bad = j;
  bad["projector"] = "qformer";
  EXPECT_NE(message(bad).find("projector"), std::string::npos);
  bad = j;
  bad["lm"]["n_layer"] = -1;
  EXPECT_NE(message(bad).find("n_layer must be a positive integer"), std::string::npos);
}

class ExportParity : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportParity, InferenceEngineGivesTheTrainingLogits) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  const text::BpeVocab vocab = text::train_bpe(world_text(120), 400);
  GgufWriter tw;
  vocab.write_gguf(tw);
  auto tokenizer_file = tw.to_memory("tokenizer");
  Rng rng(42);
  AnymalModel model(small_config(int64_t(vocab.tokens.size()), GetParam()), rng);
  TempDir tmp("model");
  const std::string llm = (tmp.path / "model.gguf").string(),
                    mmproj = (tmp.path / "mmproj.gguf").string();
  export_language_model(model, *tokenizer_file, llm, GgmlType::f32);
  export_mmproj(model, mmproj, GgmlType::f32);

  auto lm = LlamaModel::load(llm);
  auto vision = VisionModel::load(mmproj, lm->config().n_embd);
  const data::SynthSample s = data::synth_sample(5, data::Split::val, 1, 96);
  const Tensor pixels = pixels_to_chw(
      preprocess_llava(s.image, 32, model.config().mean.data(), model.config().std.data()), 32);
  Tensor ours = model.image_tokens(pixels);
  Tensor theirs = vision->embed({s.image});
  ASSERT_EQ(ours.shape(), theirs.shape());
  for (int64_t i = 0; i < ours.numel(); ++i)
    ASSERT_NEAR(ours.data<float>()[i], theirs.data<float>()[i], 2e-4f) << i;

  auto tok = text::Tokenizer::from_gguf(*tokenizer_file);
  MultimodalExample ex;
  ex.before = tok->encode("USER: ", true);
  ex.after = tok->encode("\n" + s.question + " ASSISTANT:", false);
  ex.answer = tok->encode(" " + s.answer, false);
  Tensor want = model.logits(ex, pixels);  // [1, T, V]
  // The engine: token embeddings and the image embeddings in one sequence.
  const int64_t D = lm->config().n_embd, V = lm->config().n_vocab, n_img = ours.dim(1);
  std::vector<int32_t> rest = ex.after;
  rest.insert(rest.end(), ex.answer.begin(), ex.answer.end());
  const int64_t T = int64_t(ex.before.size() + rest.size()) + n_img;
  ASSERT_EQ(want.dim(1), T);
  std::vector<float> embd(size_t(T * D));
  llama_token_embeddings(*lm, ex.before.data(), int64_t(ex.before.size()), embd.data());
  std::copy(theirs.data<float>(), theirs.data<float>() + n_img * D,
            embd.data() + ex.before.size() * size_t(D));
  llama_token_embeddings(*lm, rest.data(), int64_t(rest.size()),
                         embd.data() + (ex.before.size() + size_t(n_img)) * size_t(D));
  KvCache cache(lm->config(), T);
  LlamaWorkspace ws(lm->config(), T);
  std::vector<float> got(size_t(T * V));
  llama_eval_embd(*lm, cache, ws, embd.data(), T, true, got.data());
  double max_diff = 0;
  for (int64_t i = 0; i < T * V; ++i)
    max_diff = std::max(max_diff, std::abs(double(got[size_t(i)]) - want.data<float>()[i]));
  EXPECT_LT(max_diff, 1e-3) << "max |logit difference| over " << T << " positions";
}

INSTANTIATE_TEST_SUITE_P(Projectors, ExportParity, ::testing::Values("mlp", "perceiver"));

TEST(AnymalModel, AFewStepsLowerTheAnswerLoss) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(1);
  AnymalModel model(small_config(300, "mlp"), rng);
  std::vector<MultimodalExample> batch(2);
  batch[0] = {{298, 5, 6}, {7, 8}, {40, 41, 299}, Modality::image};
  batch[1] = {{298, 9}, {}, {50, 299}, Modality::none};
  Tensor pixels = randn({1, 3, 32, 32}, rng);
  train::AdamWOptions opt;
  opt.lr = 3e-3f;
  train::AdamW adam(model.trainable_parameters(), opt);
  const float first = model.loss(batch, pixels).item();
  EXPECT_NEAR(first, std::log(300.0f), 0.5f);  // random init: about uniform
  for (int i = 0; i < 30; ++i) {
    adam.zero_grad();
    Tensor loss = model.loss(batch, pixels);
    autograd::backward(loss);
    adam.step();
  }
  EXPECT_LT(model.loss(batch, pixels).item(), first * 0.5f);
  // A batch whose image count disagrees with the pixels is an error, not a crash.
  EXPECT_THROW(model.loss(batch, randn({2, 3, 32, 32}, rng)), Error);
}

// The answer loss's gradient reaches every parameter group, right: a few elements of each
// (ViT patch and position embeddings, a ViT block, the projector, an LM block) against central
// differences of the loss. Guards the path pixels → tower → projector → spliced sequence → LM.
TEST(AnymalModel, LossGradientsMatchFiniteDifferencesInEveryTower) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(3);
  AnymalModel model(small_config(300, "mlp"), rng);
  std::vector<MultimodalExample> batch(2);
  batch[0] = {{298, 5, 6}, {7, 8}, {40, 41, 299}, Modality::image, {}};
  batch[1] = {{298, 9}, {11}, {50, 299}, Modality::image, {}};
  const Tensor pixels = randn({2, 3, 32, 32}, rng);
  for (auto& [name, p] : model.named_parameters()) p.set_requires_grad(true);
  autograd::backward(model.loss(batch, pixels));
  int checked = 0;
  for (auto& [name, p] : model.named_parameters()) {
    if (name.rfind("clip_head", 0) == 0) continue;  // not on the answer loss's path
    const Tensor g = p.grad();
    if (!g.defined()) {  // the tower's last block and post-norm only feed the CLIP pooling
      EXPECT_TRUE(name.rfind("v.blk.2.", 0) == 0 || name.rfind("v.post_ln", 0) == 0) << name;
      continue;
    }
    float* w = p.mutable_data<float>();
    for (int k = 0; k < 3; ++k) {
      const int64_t i = int64_t(rng.below(uint64_t(p.numel())));
      const float keep = w[i], h = 1e-2f;
      w[i] = keep + h;
      const double up = model.loss(batch, pixels).item();
      w[i] = keep - h;
      const double down = model.loss(batch, pixels).item();
      w[i] = keep;
      const double numeric = (up - down) / (2 * h), analytic = g.data<float>()[i];
      EXPECT_NEAR(analytic, numeric, 2e-3 + 3e-2 * std::abs(numeric)) << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

// A follow-up turn's question tokens are context: the loss is the mean cross-entropy over the
// target tokens alone, as computed from the logits by hand.
TEST(AnymalModel, OnlyTargetTokensEnterTheLoss) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(5);
  AnymalModel model(small_config(300, "mlp"), rng);
  MultimodalExample ex{{298, 5}, {7}, {40, 299, 12, 13, 41, 299}, Modality::image, {}};
  ex.target = {1, 1, 0, 0, 1, 1};
  const Tensor pixels = randn({1, 3, 32, 32}, rng);
  const float loss = model.loss({ex}, pixels).item();
  const Tensor logits = model.logits(ex, pixels);  // [1, T, V]
  const int64_t V = logits.dim(2), prefix = model.prefix_length(ex);
  double sum = 0;
  int n = 0;
  for (size_t k = 0; k < ex.answer.size(); ++k) {
    if (!ex.target[k]) continue;
    const float* row = logits.data<float>() + (prefix - 1 + int64_t(k)) * V;
    double mx = row[0], z = 0;
    for (int64_t i = 1; i < V; ++i) mx = std::max(mx, double(row[i]));
    for (int64_t i = 0; i < V; ++i) z += std::exp(double(row[i]) - mx);
    sum += mx + std::log(z) - row[ex.answer[k]];
    ++n;
  }
  EXPECT_NEAR(loss, sum / n, 1e-4);
  ex.target.clear();  // all targets: a different mean
  EXPECT_GT(std::abs(model.loss({ex}, pixels).item() - loss), 1e-3);
}
