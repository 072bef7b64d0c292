// Continuous batching without HTTP: (1) one batched decode step (llama_eval_batch) with B
// sequences vs B single-sequence steps, and (2) the BatchEngine generating for B concurrent
// requests vs 1, in total tokens/s. Medians of several runs; ratios are what to read.
// Usage: build/bin/batch_bench [LLM.gguf (default models/demo/model.gguf)] [--threads N]
//        [--profile B] (only batched steps of B sequences for ~3 s, to run under perf)
//        [--profile-engine B] (only the engine with B concurrent requests, ~3 s)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/thread_pool.h"
#include "models/llm/llama_forward.h"
#include "serve/batch_engine.h"

using namespace anymal;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Seconds per decode step of B sequences at position `past`, batched or one at a time.
double step_seconds(const models::LlamaModel& m, int B, bool batched, int64_t past) {
  const auto& c = m.config();
  std::vector<models::KvCache> caches(size_t(B), models::KvCache(c, past + 64));
  models::LlamaWorkspace ws(c, B);
  std::vector<float> logits(size_t(B * c.n_vocab));
  for (auto& k : caches) k.n_past = past;  // attention over `past` positions (contents moot)
  std::vector<int32_t> tok(size_t(B), 1);
  std::vector<models::SeqInput> seqs;
  for (int b = 0; b < B; ++b)
    seqs.push_back({&caches[size_t(b)], &tok[size_t(b)], nullptr, 1, true});
  std::vector<double> runs;
  for (int r = 0; r < 40; ++r) {
    for (auto& k : caches) k.n_past = past;
    auto t0 = Clock::now();
    if (batched) {
      models::llama_eval_batch(m, seqs, ws, logits.data());
    } else {
      for (int b = 0; b < B; ++b)
        models::llama_eval_batch(m, {&seqs[size_t(b)], 1}, ws, logits.data());
    }
    runs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(runs);
}

// Total generated tokens/s of B concurrent requests of n tokens each through the engine.
double engine_tokens_per_second(const models::LlamaModel& m, const text::Tokenizer& tok,
                                ThreadPool& pool, int B, int n) {
  serve::Metrics metrics;
  serve::EngineOptions opt;
  opt.n_slots = B;
  opt.n_ctx = std::min<int64_t>(m.config().n_ctx_train, 512);
  serve::BatchEngine engine(m, tok, nullptr, &pool, metrics, opt);
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    std::vector<std::shared_ptr<serve::Completion>> running;
    for (int b = 0; b < B; ++b) {
      serve::GenerationJob job;
      job.pieces = {tok.encode("Describe the building.", true, true)};
      job.max_tokens = n;
      job.ignore_eos = true;
      job.sampling.seed = uint64_t(b + 1);
      running.push_back(engine.submit(std::move(job)));
    }
    // Read as the server's streams read (serve --stream-interval): not woken per token.
    for (auto& c : running) {
      auto last = Clock::now();
      while (!c->next(Clock::now() + std::chrono::seconds(1), last + std::chrono::milliseconds(10))
                  .done)
        last = Clock::now();
    }
    runs.push_back(B * n / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(runs);
}

}  // namespace

int main(int argc, char** argv) {
  anymal::tune_allocator();
  std::string path = "models/demo/model.gguf";
  int threads = physical_core_count(), profile_b = 0, profile_engine = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--profile") && i + 1 < argc)
      profile_b = std::atoi(argv[++i]);  // only batched steps of B, ~3 s (for perf)
    else if (!std::strcmp(argv[i], "--profile-engine") && i + 1 < argc)
      profile_engine = std::atoi(argv[++i]);
    else
      path = argv[i];
  }
  ThreadPool pool(threads);
  ThreadPoolScope scope(&pool);  // loading packs the weights in parallel
  const auto load_start = Clock::now();
  auto model = models::LlamaModel::load(path);
  std::fprintf(stderr, "loaded %s in %.2f s\n", path.c_str(),
               std::chrono::duration<double>(Clock::now() - load_start).count());
  // The engine table needs a vocabulary; llm_bench's random files (memory-bound decode: what
  // batching is for) have none, and get the step table only.
  std::unique_ptr<text::Tokenizer> tok;
  if (model->file().find("tokenizer.ggml.model")) tok = text::Tokenizer::from_gguf(model->file());
  if (profile_b > 0) {
    double per = step_seconds(*model, profile_b, true, 64);
    for (int r = 0; r < int(3.0 / (40 * per)); ++r) step_seconds(*model, profile_b, true, 64);
    std::printf("B=%d: %.3f ms per step\n", profile_b, per * 1e3);
    return 0;
  }
  if (profile_engine > 0 && tok) {
    const auto t0 = Clock::now();
    double tps = 0;
    while (std::chrono::duration<double>(Clock::now() - t0).count() < 3.0)
      tps = engine_tokens_per_second(*model, *tok, pool, profile_engine, 64);
    std::printf("%d requests: %.0f tokens/s\n", profile_engine, tps);
    return 0;
  }
  std::printf("%s, %d threads\n\n", path.c_str(), threads);
  std::printf("| B | one step, batched | B steps of one | ratio |\n|---|---|---|---|\n");
  for (int B : {1, 2, 4, 8, 16}) {
    double batched = step_seconds(*model, B, true, 64), single = step_seconds(*model, B, false, 64);
    std::printf("| %d | %.3f ms | %.3f ms | %.2fx |\n", B, batched * 1e3, single * 1e3,
                single / batched);
  }
  if (!tok) {
    std::printf("\n(no tokenizer in the file: no engine table)\n");
    return 0;
  }
  std::printf("\n| concurrent requests | engine tokens/s (total) | vs 1 |\n|---|---|---|\n");
  double one = 0;
  for (int B : {1, 2, 4, 8}) {
    double tps = engine_tokens_per_second(*model, *tok, pool, B, 96);
    if (B == 1) one = tps;
    std::printf("| %d | %.0f | %.2fx |\n", B, tps, tps / one);
  }
  return 0;
}
