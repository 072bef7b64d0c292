// anymal generate -m FILE.gguf -p PROMPT [-n N] [sampling flags]: streams a continuation.
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "infer/session.h"
#include "models/llm/llama_forward.h"
#include "text/tokenizer.h"

namespace anymal::cli {

Runner add_generate_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd =
      app.add_subcommand("generate", "continue a prompt with a language model, streaming the text");
  struct Args {
    std::string model, prompt;
    int n_predict = 128;
    int64_t ctx = 0;
    bool stats = false;
    infer::SamplerOptions sampling;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-m,--model", a->model, "model .gguf")->required();
  cmd->add_option("-p,--prompt", a->prompt, "prompt text")->required();
  cmd->add_option("-n,--n-predict", a->n_predict, "tokens to generate (default 128)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ctx", a->ctx, "context length (default: the model's, at most 4096)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--temp", a->sampling.temperature, "temperature; 0 is greedy (default 0.8)");
  cmd->add_option("--top-k", a->sampling.top_k, "top-k, 0 off (default 40)");
  cmd->add_option("--top-p", a->sampling.top_p, "top-p, 1 off (default 0.95)");
  cmd->add_option("--min-p", a->sampling.min_p, "min-p, 0 off (default 0.05)");
  cmd->add_option("--repeat-penalty", a->sampling.repeat_penalty,
                  "repetition penalty, 1 off (default 1)");
  cmd->add_option("--repeat-last-n", a->sampling.repeat_last_n,
                  "tokens the penalty looks back (default 64)");
  cmd->add_option("--seed", a->sampling.seed, "sampling seed (default 0)");
  cmd->add_flag("--stats", a->stats, "print tokens/s for prompt and generation to stderr");
  return [a] {
    auto model = models::LlamaModel::load(a->model);
    auto tok = text::Tokenizer::from_gguf(model->file());
    const auto& cfg = model->config();
    std::vector<int32_t> tokens = tok->encode(a->prompt, true);
    int64_t ctx = a->ctx > 0 ? a->ctx : std::min<int64_t>(cfg.n_ctx_train, 4096);
    if (int64_t(tokens.size()) + 1 > ctx)
      throw_error(ErrorKind::invalid_input, "the prompt has " + std::to_string(tokens.size()) +
                                                " tokens, more than the context of " +
                                                std::to_string(ctx));
    infer::Session session(*model, *tok, ctx, std::min<int64_t>(int64_t(tokens.size()), 512));
    infer::Sampler sampler(a->sampling);
    std::fputs(a->prompt.c_str(), stdout);
    auto t0 = std::chrono::steady_clock::now();
    session.eval_tokens(tokens);
    double pp = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    infer::GenerateStats st = session.generate(a->n_predict, sampler, [](const std::string& s) {
      std::fputs(s.c_str(), stdout);
      std::fflush(stdout);
    });
    std::fputs("\n", stdout);
    if (a->stats)
      std::fprintf(stderr, "prompt: %zu tokens, %.1f t/s; generated: %d tokens, %.1f t/s\n",
                   tokens.size(), double(tokens.size()) / pp, st.n_generated,
                   st.n_generated / st.seconds);
    return 0;
  };
}

}  // namespace anymal::cli
