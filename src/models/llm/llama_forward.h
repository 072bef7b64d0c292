// The llama forward pass for inference: a KV cache preallocated for the context and a
// workspace preallocated for a batch, so evaluating tokens allocates nothing per token.
#pragma once

#include <span>
#include <vector>

#include "backend/cpu/quant_matmul.h"
#include "models/llm/cross_attention.h"
#include "models/llm/llama.h"

namespace anymal::models {

// Keys and values of every layer for positions [0, n_ctx): f32 [n_ctx, n_head_kv, head_dim].
struct KvCache {
  KvCache(const LlamaConfig& c, int64_t n_ctx);
  int64_t n_ctx = 0;
  int64_t n_past = 0;  // positions filled
  std::vector<std::vector<float>> k, v;
  // The cross-attention family: the sequence's inputs, attended to by every row evaluated
  // (empty: none yet, and always for decoder-only models).
  CrossMemory memory;
};

// Activation buffers for up to n_batch tokens at once.
struct LlamaWorkspace {
  LlamaWorkspace(const LlamaConfig& c, int64_t n_batch);
  int64_t n_batch;
  std::vector<float> x, xn, q, k, v, att, lse, gate, up, logits;
  std::vector<int32_t> pos;
  std::vector<double> rope_cs;     // cos, sin of each row's position per RoPE pair (rope_table)
  std::vector<int64_t> first_row;  // of each sequence of a batched pass
  cpu::QuantScratch scratch;       // widened weights for prefill GEMMs, reused across calls
};

// Evaluates tokens[0..n) at positions cache.n_past.. (in chunks of ws.n_batch), appends their
// keys/values to the cache, and writes logits: all n rows [n, n_vocab] when all_logits, else
// the last row [n_vocab]. Throws invalid_input when the context is full or a token is out of
// range.
void llama_eval(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const int32_t* tokens,
                int64_t n, bool all_logits, float* logits);
// The input embeddings of tokens [n] into out [n, n_embd] (rows of token_embd, widened).
void llama_token_embeddings(const LlamaModel& m, const int32_t* tokens, int64_t n, float* out);
// Same with input embeddings embd [n, n_embd] in place of token ids (projected images).
void llama_eval_embd(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const float* embd,
                     int64_t n, bool all_logits, float* logits);

// One sequence's part of a batched forward: n rows appended to its cache at cache->n_past,
// given as token ids or as input embeddings [n, n_embd] (exactly one of the two).
struct SeqInput {
  KvCache* cache = nullptr;
  const int32_t* tokens = nullptr;
  const float* embd = nullptr;
  int64_t n = 0;
  bool want_logits = false;  // the logits of its last row
};
// Continuous batching: the rows of several sequences (each cache at most once) in one pass, so
// each weight matrix is read once for all of them; attention stays within each sequence.
// The rows together must fit ws.n_batch. logits gets one row [n_vocab] per sequence that wants
// them, in order. Throws invalid_input (nothing evaluated) when a sequence's context is full
// or a token is out of range.
void llama_eval_batch(const LlamaModel& m, std::span<const SeqInput> seqs, LlamaWorkspace& ws,
                      float* logits);

}  // namespace anymal::models
