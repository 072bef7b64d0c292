// One conversation with a language model: its KV cache and workspace (allocated once for the
// context), the tokens so far, and the logits after the last evaluated position. Text, token
// ids and input embeddings (projected images) are appended in any order; generate() samples
// and streams the reply. Appended inputs are evaluated together when the reply starts: one
// prefill for text, image and text widens each weight matrix once, not once per piece.
// Not thread-safe: one session per conversation.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "infer/sampler.h"
#include "models/llm/llama_forward.h"
#include "text/tokenizer.h"

namespace anymal::infer {

struct GenerateStats {
  int n_generated = 0;
  bool stopped_at_end = false;  // an end-of-generation token, not the limit
  double seconds = 0;
};

class Session {
 public:
  // n_ctx: positions the cache holds; n_batch: positions per prefill chunk (larger batches
  // widen quantized weights fewer times; the workspace grows with it).
  Session(const models::LlamaModel& model, const text::Tokenizer& tok, int64_t n_ctx,
          int64_t n_batch = 512);

  int64_t n_past() const { return cache_.n_past + n_pending_; }
  int64_t n_ctx() const { return cache_.n_ctx; }
  // Token ids evaluated or generated so far (image positions are not in it).
  const std::vector<int32_t>& history() const { return history_; }
  // Appends tokens / embeddings [n, n_embd]; throws invalid_input when the context is full.
  // (Positions count from when they are appended; the forward runs at generate or flush.)
  // With a cross-attention model, embeddings take no positions: they join the memory that
  // every position evaluated from then on attends to.
  void eval_tokens(const std::vector<int32_t>& tokens);
  void eval_embeddings(const float* embd, int64_t n);
  // Samples up to n_predict tokens, evaluating each, passing decoded text to on_text as it
  // completes (UTF-8 split across tokens is held back). Stops at end-of-generation.
  GenerateStats generate(int n_predict, Sampler& sampler,
                         const std::function<void(const std::string&)>& on_text);
  // Evaluates what was appended (generate does this first).
  void flush();
  // Forgets the conversation (the cache is kept allocated).
  void reset();

 private:
  const models::LlamaModel& model_;
  const text::Tokenizer& tok_;
  models::KvCache cache_;
  models::LlamaWorkspace ws_;
  void reserve(int64_t n);  // throws when n more positions do not fit
  std::vector<float> logits_;
  std::vector<float> pending_;  // [n_pending_, n_embd] inputs not yet evaluated
  int64_t n_pending_ = 0;
  std::vector<int32_t> history_;
  bool has_logits_ = false;
};

}  // namespace anymal::infer
