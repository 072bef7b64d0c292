// anymal generate -m FILE.gguf -p PROMPT [-n N] [sampling flags]: streams a continuation.
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "infer/sampler.h"
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
    models::KvCache cache(cfg, ctx);
    models::LlamaWorkspace ws(cfg, std::min<int64_t>(int64_t(tokens.size()), 512));
    std::vector<float> logits(static_cast<size_t>(cfg.n_vocab));
    infer::Sampler sampler(a->sampling);
    text::StreamDecoder stream(*tok);
    std::fputs(a->prompt.c_str(), stdout);
    auto t0 = std::chrono::steady_clock::now();
    models::llama_eval(*model, cache, ws, tokens.data(), int64_t(tokens.size()), false,
                       logits.data());
    auto t1 = std::chrono::steady_clock::now();
    int generated = 0;
    for (; generated < a->n_predict && cache.n_past < cache.n_ctx; ++generated) {
      int32_t next = sampler.sample(logits.data(), cfg.n_vocab, tokens);
      if (tok->is_end_of_generation(next)) break;
      tokens.push_back(next);
      std::fputs(stream.push(next).c_str(), stdout);
      std::fflush(stdout);
      if (generated + 1 < a->n_predict)
        models::llama_eval(*model, cache, ws, &next, 1, false, logits.data());
    }
    std::fputs(stream.flush().c_str(), stdout);
    std::fputs("\n", stdout);
    auto t2 = std::chrono::steady_clock::now();
    if (a->stats) {
      double pp = std::chrono::duration<double>(t1 - t0).count(),
             tg = std::chrono::duration<double>(t2 - t1).count();
      std::fprintf(stderr, "prompt: %zu tokens, %.1f t/s; generated: %d tokens, %.1f t/s\n",
                   tokens.size() - size_t(generated),
                   double(tokens.size() - size_t(generated)) / pp, generated, generated / tg);
    }
    return 0;
  };
}

}  // namespace anymal::cli
