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

void Session::reserve(int64_t n) {
  if (n_past() + n > cache_.n_ctx)
    throw_error(ErrorKind::invalid_input, "the conversation needs " + std::to_string(n_past() + n) +
                                              " positions, more than the context of " +
                                              std::to_string(cache_.n_ctx));
}

void Session::eval_tokens(const std::vector<int32_t>& tokens) {
  if (tokens.empty()) return;
  const int64_t n = int64_t(tokens.size()), E = model_.config().n_embd;
  reserve(n);
  pending_.resize(size_t((n_pending_ + n) * E));
  try {
    models::llama_token_embeddings(model_, tokens.data(), n, pending_.data() + n_pending_ * E);
  } catch (...) {  // a bad id: the session stays as it was
    pending_.resize(size_t(n_pending_ * E));
    throw;
  }
  n_pending_ += n;
  history_.insert(history_.end(), tokens.begin(), tokens.end());
}

void Session::eval_embeddings(const float* embd, int64_t n) {
  if (n == 0) return;
  if (const models::CrossAttention* xa = model_.cross_attention()) {
    // No positions: every row evaluated from now on attends to it. Bounded like positions.
    if (cache_.memory.n_tokens + n > cache_.n_ctx)
      throw_error(ErrorKind::invalid_input,
                  "the conversation's inputs take " + std::to_string(cache_.memory.n_tokens + n) +
                      " tokens, more than the context of " + std::to_string(cache_.n_ctx));
    xa->attach(cache_.memory, embd, n);
    return;
  }
  const int64_t E = model_.config().n_embd;
  reserve(n);
  pending_.insert(pending_.end(), embd, embd + n * E);
  n_pending_ += n;
}

void Session::flush() {
  if (n_pending_ == 0) return;
  models::llama_eval_embd(model_, cache_, ws_, pending_.data(), n_pending_, false, logits_.data());
  pending_.clear();
  n_pending_ = 0;
  has_logits_ = true;
}

GenerateStats Session::generate(int n_predict, Sampler& sampler,
                                const std::function<void(const std::string&)>& on_text) {
  flush();
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
  cache_.memory.clear();
  pending_.clear();
  n_pending_ = 0;
  history_.clear();
  has_logits_ = false;
}

}  // namespace anymal::infer
