// The cross-attention family at inference: the gated cross-attention blocks of an mmproj file
// (xattn.L.*, written by anymal's export; llama.cpp has no such model) that run before LM
// blocks L, and a sequence's memory: the keys and values of its inputs' tokens for every
// block, computed once when an input is attached, then read by every token evaluated after.
//
// Keys (all under anymal.xattn.): layers (i32 array: the LM blocks they precede, ascending),
// embedding_length, head_count, head_count_kv, feed_forward_length, layer_norm_rms_epsilon.
// Tensors per block: attn_norm.weight, attn_{q,k,v,output}.weight, gate_attn [1], ffn_norm.weight,
// ffn_{gate,up,down}.weight, gate_ffn [1] — as nn::GatedCrossAttention names its parameters.
#pragma once

#include <memory>
#include <vector>

#include "formats/gguf.h"
#include "models/llm/llama.h"

namespace anymal::models {

struct CrossAttentionBlock {
  int64_t before = 0;          // the LM block it precedes
  Tensor attn_norm, ffn_norm;  // f32 [n_embd]
  WeightMatrix wq, wk, wv, wo, w_gate, w_up, w_down;
  float tanh_gate_attn = 0, tanh_gate_ffn = 0;  // the gates, through tanh at load
};

// Every block's keys and values of the inputs attached to one sequence:
// k[b], v[b]: [n_tokens, n_head_kv * head_dim].
struct CrossMemory {
  int64_t n_tokens = 0;
  std::vector<std::vector<float>> k, v;
  void clear();
};

class CrossAttention {
 public:
  // The file's blocks, or null when it has none (a decoder-only mmproj). Shapes are checked
  // against the keys; invalid_input names the tensor or key that is off.
  static std::shared_ptr<const CrossAttention> from_gguf(std::shared_ptr<GgufFile> file);

  const std::vector<CrossAttentionBlock>& blocks() const { return blocks_; }
  int64_t n_embd() const { return n_embd_; }
  int64_t n_head() const { return n_head_; }
  int64_t n_head_kv() const { return n_head_kv_; }
  int64_t n_ff() const { return n_ff_; }
  float rms_eps() const { return eps_; }
  // The block before LM block `layer`, or null.
  const CrossAttentionBlock* before(int64_t layer) const;
  // Appends inputs embd [n, n_embd] to a sequence's memory.
  void attach(CrossMemory& memory, const float* embd, int64_t n) const;

 private:
  std::shared_ptr<GgufFile> file_;
  std::vector<CrossAttentionBlock> blocks_;
  int64_t n_embd_ = 0, n_head_ = 0, n_head_kv_ = 0, n_ff_ = 0;
  float eps_ = 1e-5f;
};

}  // namespace anymal::models
