// The training recipe: configs rejected key by key before anything runs; datasets with bad
// lines (counted, an error past 1%); and the promise of checkpoints: a run stopped between
// checkpoints (as a kill would) and resumed ends with the same bytes as one never stopped.
#include "train/recipe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/synth_world.h"
#include "formats/gguf_writer.h"
#include "formats/image.h"
#include "models/anymal/vision.h"
#include "models/encoders/vit.h"
#include "models/hf/hf_model.h"
#include "models/llm/llama_forward.h"
#include "temp_dir.h"
#include "text/bpe_trainer.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/init_weights.h"
#include "train/trainer.h"

using namespace anymal;
using testkit::TempDir;
namespace fs = std::filesystem;

namespace {

// n synthetic samples as DIR/train.jsonl + DIR/images/.
void write_dataset(const std::string& dir, int n) {
  fs::create_directories(fs::path(dir) / "images");
  std::string jsonl;
  for (int i = 0; i < n; ++i) {
    const data::SynthSample s = data::synth_sample(1, data::Split::train, i, 80);
    const std::string image = "images/" + std::to_string(i) + ".png";
    save_png(dir + "/" + image, s.image);
    nlohmann::json j = {{"id", std::to_string(i)},
                        {"image", image},
                        {"task", s.task},
                        {"conversations",
                         {{{"from", "human"}, {"value", "<image>\n" + s.question}},
                          {{"from", "gpt"}, {"value", s.answer}}}}};
    jsonl += j.dump() + "\n";
  }
  write_file_atomic(dir + "/train.jsonl", jsonl);
}

nlohmann::json tiny_recipe() {
  return nlohmann::json::parse(R"({
    "seed": 3,
    "data": {"train": "data/train.jsonl"},
    "tokenizer": {"vocab_size": 300},
    "model": {"lm": {"dim": 32, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "ff": 64, "ctx": 96},
              "vit": {"image_size": 80, "patch": 16, "dim": 24, "n_layer": 2, "n_head": 2, "ff": 48}},
    "checkpoint": {"every": 2, "keep": 2},
    "log_every": 2,
    "stages": [
      {"name": "text", "kind": "text", "steps": 3, "batch": 4, "lr": 1e-3, "train": ["lm"]},
      {"name": "clip", "kind": "clip", "steps": 3, "batch": 4, "lr": 1e-3, "tasks": [],
       "train": ["vit", "clip_head"]},
      {"name": "tune", "kind": "multimodal", "steps": 5, "batch": 4, "lr": 1e-3, "warmup": 1,
       "train": ["projector", "lora"], "lora_rank": 4, "lora_alpha": 8}
    ]})");
}

std::string read_bytes(const std::string& path) { return read_file_bytes(path); }

std::string config_error(const nlohmann::json& j) {
  try {
    train::RecipeConfig::from_json(j, "recipe.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Recipe, EveryKeyIsChecked) {
  EXPECT_EQ(config_error(tiny_recipe()), "");
  nlohmann::json j = tiny_recipe();
  j["epochs"] = 3;
  EXPECT_NE(config_error(j).find("recipe.json: unknown key \"epochs\""), std::string::npos);
  j = tiny_recipe();
  j["stages"][1]["lr"] = -1;
  EXPECT_NE(config_error(j).find("stages[1]: lr must be a positive number"), std::string::npos);
  j = tiny_recipe();
  j["stages"][2].erase("lora_rank");
  EXPECT_NE(config_error(j).find("lora_rank is not set"), std::string::npos);
  j = tiny_recipe();
  j["stages"][0]["train"] = {"everything"};
  EXPECT_NE(config_error(j).find("unknown value \"everything\""), std::string::npos);
  j = tiny_recipe();
  j["stages"][0]["kind"] = "rlhf";
  EXPECT_NE(config_error(j).find("kind must be"), std::string::npos);
  j = tiny_recipe();
  j["model"]["vit"]["patch"] = 7;
  EXPECT_NE(config_error(j).find("multiple of patch"), std::string::npos);
  j = tiny_recipe();
  j["model"]["lm"]["vocab"] = 100;
  EXPECT_NE(config_error(j).find("vocab comes from tokenizer.vocab_size"), std::string::npos);
  // Cross-attention: blocks only in such a model, and trained before anything below them.
  j = tiny_recipe();
  j["stages"][2]["train"] = {"projector", "xattn"};
  EXPECT_NE(config_error(j).find("no cross-attention (model.xattn_every)"), std::string::npos);
  j["model"]["xattn_every"] = 1;
  EXPECT_EQ(config_error(j), "");
  j["stages"][2]["train"] = {"projector", "lora"};
  EXPECT_NE(config_error(j).find("names projector but not xattn: the cross-attention gates"),
            std::string::npos);
}

TEST(Dataset, BadLinesAreCountedAndTooManyAreAnError) {
  TempDir tmp("dataset");
  write_dataset(tmp.str(), 4);
  std::string good = read_bytes(tmp.str("train.jsonl"));
  std::string lines;
  for (int i = 0; i < 50; ++i) lines += good;  // 200 good lines
  lines +=
      "{\"image\": \"images/missing.png\", \"conversations\": [{\"from\": \"human\", \"value\": "
      "\"<image>\\nq\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n";
  write_file_atomic(tmp.str("ok.jsonl"), lines);
  data::DatasetReport report;
  EXPECT_EQ(data::read_llava_jsonl(tmp.str("ok.jsonl"), {}, report).size(), 200u);
  EXPECT_EQ(report.skipped.at("missing image"), 1);
  lines +=
      "not json\n{\"conversations\": [{\"from\": \"human\", \"value\": \"<image><image>\"}]}\n"
      "{\"conversations\": [{\"from\": \"human\", \"value\": \"\xff\xfe\"}]}\n";
  write_file_atomic(tmp.str("bad.jsonl"), lines);
  try {
    data::read_llava_jsonl(tmp.str("bad.jsonl"), {}, report);
    FAIL() << "4 bad lines in 204 accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("more than 1%"), std::string::npos) << m;
    EXPECT_NE(m.find("bad JSON"), std::string::npos) << m;
    EXPECT_NE(m.find("non-UTF-8 text"), std::string::npos) << m;
  }
  EXPECT_THROW(data::read_llava_jsonl(tmp.str("train.jsonl"), {"nosuchtask"}, report), Error);
}

// Later turns of a conversation are follow-ups about the same image: read in order, and in the
// training example their replies (EOS included) are the targets, their questions context.
TEST(Dataset, FollowUpTurnsAreReadAndOnlyTheirRepliesAreTargets) {
  TempDir tmp("dataset");
  write_dataset(tmp.str(), 1);
  nlohmann::json j = nlohmann::json::parse(read_bytes(tmp.str("train.jsonl")));
  for (const char* turn : {"Where is the cup?", "top left", "Is there a key in the picture?", "no"})
    j["conversations"].push_back(
        {{"from", j["conversations"].size() % 2 ? "gpt" : "human"}, {"value", turn}});
  nlohmann::json bad = j;
  bad["conversations"][2]["value"] = "<image>\nAnd this one?";
  std::string lines;
  for (int i = 0; i < 100; ++i) lines += j.dump() + "\n";
  write_file_atomic(tmp.str("more.jsonl"), lines + bad.dump() + "\n");
  data::DatasetReport report;
  const std::vector<data::Example> exs = data::read_llava_jsonl(tmp.str("more.jsonl"), {}, report);
  ASSERT_EQ(exs.size(), 100u);
  EXPECT_EQ(report.skipped_total(), 1);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"Where is the cup?", "top left"}, {"Is there a key in the picture?", "no"}};
  EXPECT_EQ(exs[0].follow_ups, want);

  const text::BpeVocab v = text::train_bpe(
      {"USER: Where is the cup? ASSISTANT: top left", "Is there a key in the picture? no"}, 300);
  GgufWriter w;
  v.write_gguf(w);
  auto tok = text::Tokenizer::from_gguf(*w.to_memory("bpe"));
  const models::MultimodalExample m = data::multimodal_example(*tok, exs[0]);
  ASSERT_EQ(m.target.size(), m.answer.size());
  std::vector<int32_t> learnt;
  for (size_t k = 0; k < m.answer.size(); ++k)
    if (m.is_target(k)) learnt.push_back(m.answer[k]);
  std::vector<int32_t> replies;
  for (const std::string& a : {" " + exs[0].answer, std::string(" top left"), std::string(" no")}) {
    for (int32_t t : tok->encode(a, false)) replies.push_back(t);
    replies.push_back(tok->eos());
  }
  EXPECT_EQ(learnt, replies);
  EXPECT_EQ(m.n_targets(), int64_t(replies.size()));
  EXPECT_NE(tok->decode(m.answer).find("USER: Where is the cup? ASSISTANT: top left"),
            std::string::npos);
}

// Stopped mid-stage (between checkpoints) and at a stage's end, resumed, the final checkpoint
// and exported files equal an uninterrupted run's byte for byte.
TEST(Recipe, KillAndResumeIsBitExact) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  TempDir tmp("resume");
  write_dataset(tmp.str("data"), 24);
  const train::RecipeConfig r =
      train::RecipeConfig::from_json(tiny_recipe(), tmp.str("recipe.json"));
  train::TrainOptions opt;
  opt.progress = false;
  train::run_recipe(r, tmp.str("full"), opt);
  const std::string final_ckpt = train::checkpoint_path(tmp.str("full"), 2, 5);
  ASSERT_TRUE(fs::exists(final_ckpt));

  for (auto [stage, step] : {std::pair<int64_t, int64_t>{2, 3}, {0, 3}, {1, 1}}) {
    SCOPED_TRACE("stopped at stage " + std::to_string(stage) + " step " + std::to_string(step));
    const std::string dir = tmp.str("cut" + std::to_string(stage) + std::to_string(step));
    train::TrainOptions cut = opt;
    cut.stop_after = [&](int64_t s, int64_t t) { return s == stage && t == step; };
    train::run_recipe(r, dir, cut);
    EXPECT_FALSE(fs::exists(fs::path(dir) / "export"));
    // Without --resume the directory is refused; with it the run completes.
    EXPECT_THROW(train::run_recipe(r, dir, opt), Error);
    train::TrainOptions resume = opt;
    resume.resume = true;
    train::run_recipe(r, dir, resume);
    EXPECT_EQ(read_bytes(train::checkpoint_path(dir, 2, 5)), read_bytes(final_ckpt));
    EXPECT_EQ(read_bytes(dir + "/export/model.gguf"),
              read_bytes(tmp.str("full/export/model.gguf")));
    EXPECT_EQ(read_bytes(dir + "/export/mmproj.gguf"),
              read_bytes(tmp.str("full/export/mmproj.gguf")));
  }
  // The checkpoint's model is the exported one: loading it back gives the same parameters.
  auto model = train::load_trained_model(final_ckpt);
  EXPECT_TRUE(model->lm.blocks[0]->attn.q.has_lora());
  EXPECT_GT(train::list_checkpoints(tmp.str("full")).size(), 0u);
  EXPECT_LE(train::list_checkpoints(tmp.str("full")).size(), 2u);  // keep: 2
}

// A recipe can start from a Hugging Face Llama directory and a LLaVA clip tower: the model it
// builds computes what the inference engine computes for those files, and trains from there.
TEST(Recipe, StartsFromHuggingFaceAndGgufModels) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  TempDir tmp("init");
  write_dataset(tmp.str("data"), 16);
  const std::string shared = ANYMAL_SHARED_FIXTURES;
  nlohmann::json j = tiny_recipe();
  j.erase("tokenizer");
  j["model"].erase("lm");
  j["model"].erase("vit");
  j["init"] = {{"lm", shared + "/hf/tiny-hf-llama"},
               {"vision", shared + "/vision/tiny-clip-llava-mmproj-f16.gguf"}};
  j["stages"] = nlohmann::json::array({j["stages"][2]});
  const train::RecipeConfig r = train::RecipeConfig::from_json(j, tmp.str("recipe.json"));
  EXPECT_EQ(r.model.lm.vocab, 512);
  EXPECT_EQ(r.model.vit.image_size, 56);

  // Parity with the engine before any training.
  Rng rng(0);
  models::AnymalModel m(r.model, rng);
  auto lm_file = models::open_model_file(r.init_lm);
  auto clip_file = GgufFile::open(r.init_vision);
  train::load_language_model(m, *lm_file);
  train::load_vision_tower(m, *clip_file);
  auto engine = models::LlamaModel::load(r.init_lm);
  const std::vector<int32_t> ids = {1, 17, 300, 42, 7};
  Tensor ours = m.lm.forward(Tensor::from_ints(ids, Shape{1, 5}));
  models::KvCache cache(engine->config(), 8);
  models::LlamaWorkspace ws(engine->config(), 8);
  std::vector<float> theirs(5 * 512);
  models::llama_eval(*engine, cache, ws, ids.data(), 5, true, theirs.data());
  for (size_t i = 0; i < theirs.size(); ++i)
    ASSERT_NEAR(ours.data<float>()[i], theirs[i], 2e-3f) << i;
  auto vision = models::VisionModel::load(r.init_vision);
  const data::SynthSample s = data::synth_sample(1, data::Split::val, 3, 80);
  Tensor want = vision->embed({s.image});
  Tensor got = m.image_tokens(models::pixels_to_chw(
      preprocess_llava(s.image, 56, r.model.mean.data(), r.model.std.data()), 56));
  ASSERT_EQ(want.shape(), got.shape());
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(want.data<float>()[i], got.data<float>()[i], 2e-3f) << i;

  // And it trains, keeping the model's SentencePiece tokenizer, and exports.
  train::TrainOptions opt;
  opt.progress = false;
  train::run_recipe(r, tmp.str("run"), opt);
  auto exported = models::LlamaModel::load(tmp.str("run/export/model.gguf"));
  EXPECT_EQ(exported->file().get_string("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(exported->config().n_vocab, 512);
  j["model"]["lm"] = {{"dim", 64}};
  EXPECT_THROW(train::RecipeConfig::from_json(j, "recipe.json"), Error);
}
