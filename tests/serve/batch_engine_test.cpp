// Continuous batching against the one-sequence path it must agree with: llama_eval_batch rows
// of several sequences give the logits each sequence gets alone; the engine's replies to many
// concurrent requests equal `Session` generation of each alone (the demo model, with images);
// and its limits: a full queue is 429, a prompt beyond the context 400, a cancelled request
// frees its slot, a slow one times out, stop strings and max_tokens end replies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/thread_pool.h"
#include "infer/session.h"
#include "models/anymal/anymal_model.h"
#include "models/anymal/chat_template.h"
#include "models/anymal/export.h"
#include "models/llm/llama_forward.h"
#include "models/tiny_anymal.h"
#include "serve/batch_engine.h"
#include "temp_dir.h"

using namespace anymal;
using namespace anymal::serve;

namespace {

const std::string kLlm = std::string(ANYMAL_SHARED_FIXTURES) + "/llm";
const std::string kDemo = std::string(ANYMAL_SOURCE_DIR) + "/models/demo";
const std::string kExamples = std::string(ANYMAL_SOURCE_DIR) + "/examples";

std::vector<int32_t> prompt_tokens(const std::string& model, int p) {
  nlohmann::json ref;
  std::ifstream(kLlm + "/ref/" + model + ".p" + std::to_string(p) + ".json") >> ref;
  return ref["prompt_tokens"].get<std::vector<int32_t>>();
}

int32_t argmax(const float* x, int64_t n) { return int32_t(std::max_element(x, x + n) - x); }

float max_abs_diff(const float* a, const float* b, int64_t n) {
  float d = 0;
  for (int64_t i = 0; i < n; ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// Everything a reply is: text, finish reason, usage (or the error).
struct Reply {
  std::string text;
  FinishReason finish = FinishReason::stop;
  Usage usage;
  int status = 200;
};

Reply wait_reply(Completion& c) {
  Reply r;
  for (;;) {
    Completion::Update u = c.next(Clock::now() + std::chrono::seconds(1));
    r.text += u.text;
    if (u.done) break;
  }
  if (c.error()) r.status = c.error()->status();
  r.finish = c.finish_reason();
  r.usage = c.usage();
  return r;
}

}  // namespace

class BatchForward : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchForward, SequencesInOneBatchGetTheirOwnLogits) {
  const std::string name = GetParam();
  if (!std::filesystem::exists(kLlm + "/" + name + ".gguf")) GTEST_SKIP() << "no fixtures";
  auto model = models::LlamaModel::load(kLlm + "/" + name + ".gguf");
  const auto& c = model->config();
  const int64_t V = c.n_vocab;
  std::vector<std::vector<int32_t>> prompts = {prompt_tokens(name, 1), prompt_tokens(name, 2),
                                               prompt_tokens(name, 3)};
  prompts[2].resize(std::min<size_t>(prompts[2].size(), 5));  // unequal lengths
  const int steps = 6;
  // Alone: prefill, then greedy decode one token at a time.
  std::vector<std::vector<std::vector<float>>> solo(3);
  std::vector<std::vector<int32_t>> solo_tokens(3);
  for (size_t s = 0; s < 3; ++s) {
    models::KvCache cache(c, 128);
    models::LlamaWorkspace ws(c, 64);
    std::vector<float> logits(static_cast<size_t>(V));
    models::llama_eval(*model, cache, ws, prompts[s].data(), int64_t(prompts[s].size()), false,
                       logits.data());
    for (int i = 0; i < steps; ++i) {
      solo[s].push_back(logits);
      int32_t t = argmax(logits.data(), V);
      solo_tokens[s].push_back(t);
      models::llama_eval(*model, cache, ws, &t, 1, false, logits.data());
    }
  }
  // Together: all three prompts in one pass, then all three decoded per pass. Quantized
  // weights take a different (bf16 GEMM) path for many rows than for few (integer dots on
  // q8_0 activations, as ggml), and this random tiny model amplifies that difference; so for
  // them the prompts are prefilled one by one and only the decode steps are batched, where
  // both sides use the same kernels and must agree to rounding.
  const bool quantized = name.find("f16") == std::string::npos;
  std::vector<models::KvCache> caches(3, models::KvCache(c, 128));
  models::LlamaWorkspace ws(c, 64);
  std::vector<float> logits(size_t(3 * V));
  std::vector<models::SeqInput> seqs(3);
  for (size_t s = 0; s < 3; ++s)
    seqs[s] = {&caches[s], prompts[s].data(), nullptr, int64_t(prompts[s].size()), true};
  if (quantized)
    for (size_t s = 0; s < 3; ++s)
      models::llama_eval_batch(*model, {&seqs[s], 1}, ws, logits.data() + s * V);
  else
    models::llama_eval_batch(*model, seqs, ws, logits.data());
  std::vector<int32_t> next(3);
  const float tol = 2e-3f;
  for (int i = 0; i < steps; ++i) {
    for (size_t s = 0; s < 3; ++s) {
      EXPECT_LT(max_abs_diff(logits.data() + s * V, solo[s][size_t(i)].data(), V), tol)
          << "sequence " << s << " step " << i;
      next[s] = solo_tokens[s][size_t(i)];  // follow the solo path so the two stay comparable
      EXPECT_EQ(argmax(logits.data() + s * V, V), next[s]) << "sequence " << s << " step " << i;
      seqs[s] = {&caches[s], &next[s], nullptr, 1, true};
    }
    models::llama_eval_batch(*model, seqs, ws, logits.data());
  }
  // Errors leave every cache as it was.
  int32_t bad = int32_t(V);
  std::vector<int64_t> before = {caches[0].n_past, caches[1].n_past};
  std::vector<models::SeqInput> with_bad = {{&caches[0], &next[0], nullptr, 1, true},
                                            {&caches[1], &bad, nullptr, 1, true}};
  EXPECT_THROW(models::llama_eval_batch(*model, with_bad, ws, logits.data()), Error);
  EXPECT_EQ(caches[0].n_past, before[0]);
  EXPECT_EQ(caches[1].n_past, before[1]);
  std::vector<int32_t> many(65, 1);
  std::vector<models::SeqInput> too_many = {{&caches[0], many.data(), nullptr, 65, true}};
  EXPECT_THROW(models::llama_eval_batch(*model, too_many, ws, logits.data()), Error);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BatchForward,
                         ::testing::Values("tiny-llama-gqa-f16", "tiny-llama-gqa-q4_0",
                                           "tiny-llama-gqa-q4_k_m"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

// A model directory (model.gguf + mmproj.gguf), the bundled demo model by default.
struct DemoModel {
  explicit DemoModel(const std::string& dir = kDemo)
      : model(models::LlamaModel::load(dir + "/model.gguf")),
        tok(text::Tokenizer::from_gguf(model->file())),
        enc(models::Encoders::load(dir + "/mmproj.gguf", model->config().n_embd)) {
    model->set_cross_attention(enc.xattn);
  }
  std::unique_ptr<models::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tok;
  models::Encoders enc;
  ThreadPool pool{2};
};

GenerationJob ask_job(const DemoModel& d, const std::string& image, const std::string& q) {
  GenerationJob job;
  PromptInput img;
  std::ifstream in(kExamples + "/" + image, std::ios::binary);
  img.bytes.assign(std::istreambuf_iterator<char>(in), {});
  img.image = decode_image(img.bytes, image);
  job.inputs.push_back(std::move(img));
  std::string prompt = models::format_user_turn(models::ChatTemplate::llava, "<image>\n" + q, true);
  job.pieces = models::split_media_prompt(*d.tok, prompt).pieces;
  job.sampling.temperature = 0;
  return job;
}

// What `anymal ask` answers: one Session, alone (greedy, 64 tokens, unless the job says).
std::string ask_alone(const DemoModel& d, const GenerationJob& job) {
  ThreadPoolScope scope(const_cast<ThreadPool*>(&d.pool));
  Tensor embd = d.enc.vision->embed({job.inputs[0].image});
  infer::Session session(*d.model, *d.tok, d.model->config().n_ctx_train);
  session.eval_tokens(job.pieces[0]);
  session.eval_embeddings(embd.data<float>(), embd.dim(1));
  session.eval_tokens(job.pieces[1]);
  infer::Sampler sampler(job.sampling);
  std::string text;
  session.generate(job.max_tokens > 0 ? int(job.max_tokens) : 64, sampler,
                   [&](const std::string& s) { text += s; });
  return text.substr(std::min(text.size(), text.find_first_not_of(' ')));
}

std::string ask_alone(const DemoModel& d, const std::string& image, const std::string& q) {
  return ask_alone(d, ask_job(d, image, q));
}

TEST(BatchEngine, ConcurrentRequestsGetWhatEachGetsAlone) {
  DemoModel d;
  const std::vector<std::pair<std::string, std::string>> asks = {
      {"butterfly.png", "What butterfly is this?"},  {"sign.png", "What does the sign say?"},
      {"cup.png", "What colour is the cup?"},        {"house.png", "Describe the building."},
      {"kitchen.png", "What can I cook with this?"}, {"butterfly.png", "What butterfly is this?"}};
  std::vector<std::string> alone;
  for (const auto& [image, q] : asks) alone.push_back(ask_alone(d, image, q));
  EXPECT_EQ(alone[0], "cabbage white");
  Metrics metrics;
  EngineOptions opt;
  opt.n_slots = 3;  // six requests on three slots: some wait, all interleave
  opt.n_ctx = d.model->config().n_ctx_train;
  opt.prefill_chunk = 48;  // prompts (112 positions) prefill over several steps
  BatchEngine engine(*d.model, *d.tok, &d.enc, &d.pool, metrics, opt);
  std::vector<std::shared_ptr<Completion>> running;
  for (const auto& [image, q] : asks) running.push_back(engine.submit(ask_job(d, image, q)));
  for (size_t i = 0; i < asks.size(); ++i) {
    Reply r = wait_reply(*running[i]);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.text, alone[i]) << asks[i].first;
    EXPECT_EQ(r.usage.prompt_tokens,
              engine.prompt_positions(ask_job(d, asks[i].first, asks[i].second)));
    EXPECT_GT(r.usage.completion_tokens, 0);
  }
  EXPECT_EQ(engine.image_cache().hits(), 1u);  // the second butterfly was not encoded again
  EXPECT_NE(metrics.prometheus_text().find("anymal_completion_tokens_total"), std::string::npos);
}

// The cross-attention family through the engine: image keys/values attached to each slot, no
// positions taken, every request answered as a Session alone answers it. (A random model with
// open gates, the demo model's tokenizer: what matters is that both paths agree.)
TEST(BatchEngine, CrossAttentionRequestsGetWhatEachGetsAlone) {
  testkit::TempDir tmp("xattn_engine");
  {
    auto tokenizer = GgufFile::open(kDemo + "/model.gguf");
    models::AnymalConfig c = testkit::tiny_anymal_config(
        int64_t(tokenizer->get_array("tokenizer.ggml.tokens").size()), 64, 1);
    c.xattn_every = 1;
    Rng rng(5);
    models::AnymalModel m(c, rng);
    for (auto& x : m.xattn) {
      x->gate_attn.mutable_data<float>()[0] = 1.5f;
      x->gate_ffn.mutable_data<float>()[0] = 0.5f;
    }
    models::export_language_model(m, *tokenizer, tmp.str("model.gguf"), GgmlType::f16);
    models::export_mmproj(m, tmp.str("mmproj.gguf"), GgmlType::f16);
  }
  DemoModel d(tmp.str());
  ASSERT_NE(d.model->cross_attention(), nullptr);
  const std::vector<std::pair<std::string, std::string>> asks = {
      {"butterfly.png", "What butterfly is this?"},
      {"sign.png", "What does the sign say?"},
      {"cup.png", "What colour is the cup?"},
      {"butterfly.png", "What colour is the cup?"}};
  // Sampled (seeded), so that a small difference in the logits shows in the text.
  auto job_of = [&](const std::pair<std::string, std::string>& ask) {
    GenerationJob job = ask_job(d, ask.first, ask.second);
    job.sampling.temperature = 1.0f;
    job.sampling.top_k = 0;
    job.sampling.min_p = 0;
    job.max_tokens = 24;
    return job;
  };
  std::vector<std::string> alone;
  for (const auto& ask : asks) alone.push_back(ask_alone(d, job_of(ask)));
  EXPECT_NE(alone[2], alone[3]) << "the image should change the answer";
  Metrics metrics;
  EngineOptions opt;
  opt.n_slots = 2;
  opt.n_ctx = 256;
  opt.prefill_chunk = 16;
  BatchEngine engine(*d.model, *d.tok, &d.enc, &d.pool, metrics, opt);
  std::vector<std::shared_ptr<Completion>> running;
  for (const auto& ask : asks) running.push_back(engine.submit(job_of(ask)));
  for (size_t i = 0; i < asks.size(); ++i) {
    Reply r = wait_reply(*running[i]);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.text, alone[i]) << asks[i].first;
    const GenerationJob job = job_of(asks[i]);
    EXPECT_EQ(r.usage.prompt_tokens, int64_t(job.pieces[0].size() + job.pieces[1].size()));
  }
}

GenerationJob text_job(const std::string& name, int64_t max_tokens, size_t prompt_len = 0) {
  GenerationJob j;
  j.pieces = {prompt_tokens(name, 1)};
  while (j.pieces[0].size() < prompt_len) j.pieces[0].push_back(j.pieces[0][1]);
  j.max_tokens = max_tokens;
  j.sampling.temperature = 1.0f;  // seeded (0): the same reply every run
  j.sampling.top_k = 0;
  j.sampling.min_p = 0;
  return j;
}

// The engine over the tiny text-only fixture model, one thread.
class TextEngine : public ::testing::Test {
 protected:
  static constexpr const char* kName = "tiny-llama-gqa-f16";
  void SetUp() override {
    const std::string path = kLlm + "/" + kName + ".gguf";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixtures";
    model_ = models::LlamaModel::load(path);
    tok_ = text::Tokenizer::from_gguf(model_->file());
  }
  std::unique_ptr<models::LlamaModel> model_;
  std::unique_ptr<text::Tokenizer> tok_;
  ThreadPool pool_{1};
  Metrics metrics_;
};

TEST_F(TextEngine, FullQueueIs429AndCancellingFreesTheSlot) {
  EngineOptions opt;
  opt.n_slots = 1;
  opt.max_queue = 1;
  opt.n_ctx = 4096;
  opt.prefill_chunk = 1;  // a 3000-position prompt holds the only slot for 3000 steps
  BatchEngine engine(*model_, *tok_, nullptr, &pool_, metrics_, opt);
  auto a = engine.submit(text_job(kName, 0, 3000));
  while (engine.load().active == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto b = engine.submit(text_job(kName, 3));
  try {
    engine.submit(text_job(kName, 3));
    ADD_FAILURE() << "the queue was full";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 429);
  }
  b->cancel();  // its client left while it waited: its place in the queue is free again
  b = engine.submit(text_job(kName, 3));
  a->cancel();  // its client left: the waiting request runs, and ends at its max_tokens
  Reply rb = wait_reply(*b);
  EXPECT_EQ(rb.status, 200);
  EXPECT_EQ(rb.finish, FinishReason::length);
  EXPECT_EQ(rb.usage.completion_tokens, 3);
  for (int i = 0; i < 1000 && engine.load().active != 0; ++i)  // published after the step
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(engine.load().active, 0);
}

TEST_F(TextEngine, ContextStopStringsAndBadPrompts) {
  EngineOptions opt;
  opt.n_ctx = 96;
  BatchEngine engine(*model_, *tok_, nullptr, &pool_, metrics_, opt);
  // Without max_tokens a reply ends at the context.
  Reply rc = wait_reply(*engine.submit(text_job(kName, 0)));
  EXPECT_EQ(rc.usage.prompt_tokens + rc.usage.completion_tokens, opt.n_ctx);
  EXPECT_EQ(rc.finish, FinishReason::length);
  // A stop string cuts the reply before it (the stop is a piece of the unstopped reply).
  GenerationJob j = text_job(kName, 40);
  Reply full = wait_reply(*engine.submit(j));
  ASSERT_GE(full.text.size(), 6u);
  j.stop = {full.text.substr(full.text.size() / 2, 3)};
  Reply cut = wait_reply(*engine.submit(j));
  EXPECT_EQ(cut.finish, FinishReason::stop);
  EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(j.stop[0])));
  // A prompt beyond the context, and images without a vision model: 400.
  try {
    engine.submit(text_job(kName, 1, 200));
    ADD_FAILURE() << "the prompt does not fit";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
  }
  GenerationJob with_image = text_job(kName, 1);
  with_image.pieces.push_back({});
  with_image.inputs.emplace_back();
  EXPECT_THROW(engine.submit(with_image), ApiError);
}

TEST_F(TextEngine, ARequestPastItsDeadlineFails) {
  EngineOptions opt;
  opt.timeout = std::chrono::milliseconds(0);
  BatchEngine engine(*model_, *tok_, nullptr, &pool_, metrics_, opt);
  Reply r = wait_reply(*engine.submit(text_job(kName, 0)));
  EXPECT_EQ(r.status, 503);
}

// A stream reader's next(until, not_before): text that comes before not_before waits for it
// (one wake-up per interval, not per token), the end does not wait, and a non-streaming reader
// (not_before = until) gets all the text with the end.
TEST(Completion, TextWaitsForNotBeforeTheEndDoesNot) {
  using std::chrono::milliseconds;
  {
    Completion c;
    c.append("a");
    const auto t0 = Clock::now();
    Completion::Update u = c.next(t0 + std::chrono::seconds(5), t0 + milliseconds(60));
    EXPECT_GE(Clock::now() - t0, milliseconds(55));
    EXPECT_EQ(u.text, "a");
    EXPECT_FALSE(u.done);
  }
  {
    Completion c;
    const auto t0 = Clock::now();
    std::thread producer([&] {
      c.append("b");
      std::this_thread::sleep_for(milliseconds(20));
      c.append("c");
      c.finish(FinishReason::length, {});
    });
    Completion::Update u = c.next(t0 + std::chrono::seconds(5), t0 + std::chrono::seconds(5));
    producer.join();
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(4));  // woken by the end, not `until`
    EXPECT_EQ(u.text, "bc");
    EXPECT_TRUE(u.done);
  }
}
