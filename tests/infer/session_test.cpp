// Session: greedy generation through the session continues a prompt exactly as llama.cpp does
// (the greedy tokens of ../shared/fixtures/llm/ref), and reset() starts over.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "infer/session.h"

using namespace anymal;

TEST(Session, GreedyGenerationMatchesLlamaCppAndResetStartsOver) {
  const std::string llm = std::string(ANYMAL_SHARED_FIXTURES) + "/llm";
  if (!std::filesystem::exists(llm + "/tiny-llama-mha-f16.gguf")) GTEST_SKIP() << "no fixtures";
  auto model = models::LlamaModel::load(llm + "/tiny-llama-mha-f16.gguf");
  auto tok = text::Tokenizer::from_gguf(model->file());
  nlohmann::json ref;
  std::ifstream(llm + "/ref/tiny-llama-mha-f16.p1.json") >> ref;
  std::vector<int32_t> prompt = ref["prompt_tokens"].get<std::vector<int32_t>>();
  std::vector<int32_t> greedy = ref["greedy_tokens"].get<std::vector<int32_t>>();
  infer::Session session(*model, *tok, 256, 8);  // prefill in chunks of 8
  infer::SamplerOptions opt;
  opt.temperature = 0;
  for (int round = 0; round < 2; ++round) {
    session.eval_tokens(prompt);
    infer::Sampler sampler(opt);
    std::string text;
    infer::GenerateStats st =
        session.generate(int(greedy.size()), sampler, [&](const std::string& s) { text += s; });
    std::vector<int32_t> got(session.history().begin() + int64_t(prompt.size()),
                             session.history().end());
    got.resize(size_t(st.n_generated));  // the last sampled token is not evaluated
    ASSERT_GE(got.size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(got[i], greedy[i]) << "round " << round << " i " << i;
    EXPECT_FALSE(text.empty());
    session.reset();
    EXPECT_EQ(session.n_past(), 0);
  }
  infer::Session tiny(*model, *tok, int64_t(prompt.size()) - 1);
  EXPECT_THROW(tiny.eval_tokens(prompt), Error);  // longer than the context: a clear error
}
