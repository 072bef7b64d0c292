#include "infer/session.h"

#include <chrono>

#include "core/error.h"

namespace anymal::infer {

Session::Session(const models::LlamaModel& model, const text::Tokenizer& tok, int64_t n_ctx,
                 int64_t n_batch)
    : model_(model),
      tok_(tok),
      cache_(model.config(), n_ctx),
      ws_(model.config(), std::max<int64_t>(1, std::min(n_batch, n_ctx))),
      logits_(size_t(model.config().n_vocab)) {}

void Session::eval_tokens(const std::vector<int32_t>& tokens) {
  if (tokens.empty()) return;
  models::llama_eval(model_, cache_, ws_, tokens.data(), int64_t(tokens.size()), false,
                     logits_.data());
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  has_logits_ = true;
}

void Session::eval_embeddings(const float* embd, int64_t n) {
  if (n == 0) return;
  models::llama_eval_embd(model_, cache_, ws_, embd, n, false, logits_.data());
  has_logits_ = true;
}

GenerateStats Session::generate(int n_predict, Sampler& sampler,
                                const std::function<void(const std::string&)>& on_text) {
  if (!has_logits_) throw_error(ErrorKind::invalid_input, "generate: nothing evaluated yet");
  const auto t0 = std::chrono::steady_clock::now();
  GenerateStats stats;
  text::StreamDecoder stream(tok_);
  const int64_t n_vocab = model_.config().n_vocab;
  while (stats.n_generated < n_predict) {
    int32_t next = sampler.sample(logits_.data(), n_vocab, history_);
    if (tok_.is_end_of_generation(next)) {
      stats.stopped_at_end = true;
      break;
    }
    on_text(stream.push(next));
    ++stats.n_generated;
    // The token is evaluated now so that the session can go on from here (the next turn).
    if (cache_.n_past >= cache_.n_ctx) break;
    models::llama_eval(model_, cache_, ws_, &next, 1, false, logits_.data());
    history_.push_back(next);
  }
  on_text(stream.flush());
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

void Session::reset() {
  cache_.n_past = 0;
  history_.clear();
  has_logits_ = false;
}

}  // namespace anymal::infer
