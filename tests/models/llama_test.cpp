// The llama forward against llama.cpp's logits for the fixture models (../shared/fixtures/llm),
// fed the reference prompt tokens: every position's logsumexp and top-20 logits, the full last
// row, and 16 greedy tokens through the KV cache, within fixtures_check.py's tolerances.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "formats/quantize.h"
#include "models/llm/llama_forward.h"

using namespace anymal;
using namespace anymal::models;

namespace {

std::string llm_fixture(const std::string& rel) {
  return std::string(ANYMAL_SHARED_FIXTURES) + "/llm/" + rel;
}

std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> v;
  float x;
  while (in.read(reinterpret_cast<char*>(&x), 4)) v.push_back(x);
  return v;
}

float logsumexp(const float* x, int64_t n) {
  float mx = *std::max_element(x, x + n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(double(x[i]) - mx);
  return mx + float(std::log(s));
}

struct Case {
  const char* model;
  float tol_max, tol_mean;  // in units of the reference logits' std
  bool quant;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

class LlamaParity : public ::testing::TestWithParam<Case> {};

// Evaluates the model at `path` on the prompts of reference `c.model` and compares.
void check_against_reference(const std::string& path, const Case& c) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  auto model = LlamaModel::load(path);
  const int64_t V = model->config().n_vocab;
  for (const char* p : {"p1", "p2", "p3"}) {
    std::string ref_prefix = llm_fixture(std::string("ref/") + c.model + "." + p);
    nlohmann::json ref = nlohmann::json::parse(std::ifstream(ref_prefix + ".json"));
    std::vector<int32_t> tokens = ref["prompt_tokens"].get<std::vector<int32_t>>();
    std::vector<float> ref_last = read_f32(ref_prefix + ".last_logits.f32");
    double mean = 0, var = 0;
    for (float v : ref_last) mean += v;
    mean /= double(ref_last.size());
    for (float v : ref_last) var += (v - mean) * (v - mean);
    const float s = float(std::sqrt(var / double(ref_last.size())));

    KvCache cache(model->config(), 512);
    LlamaWorkspace ws(model->config(), 32);  // smaller than p3: exercises chunked prefill
    std::vector<float> logits(tokens.size() * size_t(V));
    llama_eval(*model, cache, ws, tokens.data(), int64_t(tokens.size()), true, logits.data());

    double worst = 0, sum = 0;
    int64_t count = 0, top1_checked = 0, top1_same = 0;
    auto diff = [&](double d) {
      worst = std::max(worst, d);
      sum += d;
      ++count;
    };
    const float* last = logits.data() + (tokens.size() - 1) * size_t(V);
    for (int64_t i = 0; i < V; ++i) diff(std::abs(last[i] - ref_last[size_t(i)]));
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
      const auto& rp = ref["positions"][pos];
      const float* row = logits.data() + pos * size_t(V);
      diff(std::abs(logsumexp(row, V) - rp["logsumexp"].get<float>()));
      auto ids = rp["top20_ids"].get<std::vector<int32_t>>();
      auto vals = rp["top20_logits"].get<std::vector<float>>();
      for (size_t k = 0; k < ids.size(); ++k) diff(std::abs(row[ids[k]] - vals[k]));
      if (vals[0] - vals[1] > 2 * c.tol_max * s) {
        ++top1_checked;
        top1_same += int32_t(std::max_element(row, row + V) - row) == ids[0];
      }
    }
    EXPECT_LE(worst, c.tol_max * s) << c.model << " " << p << " (s = " << s << ")";
    EXPECT_LE(sum / double(count), c.tol_mean * s) << c.model << " " << p;
    if (top1_checked > 0)
      EXPECT_GE(double(top1_same) / double(top1_checked), c.quant ? 0.95 : 1.0)
          << c.model << " " << p;

    // Greedy decoding through the cache, one token at a time.
    auto greedy_ref = ref["greedy_tokens"].get<std::vector<int32_t>>();
    int32_t next = int32_t(std::max_element(last, last + V) - last);
    std::vector<int32_t> greedy{next};
    std::vector<float> step(static_cast<size_t>(V));
    while (greedy.size() < greedy_ref.size()) {
      llama_eval(*model, cache, ws, &next, 1, false, step.data());
      next = int32_t(std::max_element(step.begin(), step.end()) - step.begin());
      greedy.push_back(next);
    }
    size_t must_match = c.quant ? 1 : 4;  // fixtures_check: first 4 greedy tokens for f16
    for (size_t i = 0; i < must_match; ++i)
      EXPECT_EQ(greedy[i], greedy_ref[i]) << c.model << " " << p << " step " << i;
  }
}

}  // namespace

TEST_P(LlamaParity, MatchesLlamaCpp) {
  std::string path = llm_fixture(std::string(GetParam().model) + ".gguf");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixtures";
  check_against_reference(path, GetParam());
}

// `anymal quantize` of the f16 model: read back, its logits match llama-quantize's file of the
// same type (within the quantized tolerance).
TEST(LlamaQuantize, OurQuantizedFilesMatchLlamaQuantizeOnes) {
  std::string f16 = llm_fixture("tiny-llama-gqa-f16.gguf");
  if (!std::filesystem::exists(f16)) GTEST_SKIP() << "no fixtures";
  for (auto [type, ref] :
       std::vector<std::pair<GgmlType, const char*>>{{GgmlType::q8_0, "tiny-llama-gqa-q8_0"},
                                                     {GgmlType::q4_0, "tiny-llama-gqa-q4_0"},
                                                     {GgmlType::q4_k, "tiny-llama-gqa-q4_k_m"},
                                                     {GgmlType::q6_k, "tiny-llama-gqa-q6_k"}}) {
    std::string out =
        (std::filesystem::temp_directory_path() / (std::string("anymal-") + ref + ".gguf"))
            .string();
    quantize_gguf(f16, out, type);
    check_against_reference(out, Case{ref, 0.10f, 0.02f, true});
    std::filesystem::remove(out);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaParity,
                         ::testing::Values(Case{"tiny-llama-mha-f16", 0.01f, 0.01f, false},
                                           Case{"tiny-llama-gqa-f16", 0.01f, 0.01f, false},
                                           Case{"tiny-llama-mha-bf16", 0.03f, 0.03f, false},
                                           Case{"tiny-llama-gqa-q8_0", 0.10f, 0.02f, true},
                                           Case{"tiny-llama-gqa-q4_0", 0.10f, 0.02f, true},
                                           Case{"tiny-llama-gqa-q4_k_m", 0.10f, 0.02f, true},
                                           Case{"tiny-llama-gqa-q6_k", 0.10f, 0.02f, true}),
                         [](const auto& info) {
                           std::string n = info.param.model;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });
