// A trainable Llama decoder: token_embd -> blk.N (RMSNorm, RoPE with adjacent pairs, GQA,
// SwiGLU) -> output_norm -> output, parameters named as llama.cpp's GGUF tensors so a trained
// model exports to a `llama` file without renaming (matrices transposed to ggml order only).
// forward_embeddings takes input embeddings, so image tokens can be spliced in.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/transformer_block.h"

namespace anymal::nn {

struct LlamaLmConfig {
  int64_t vocab = 0, dim = 0, n_layer = 0, n_head = 0, n_kv_head = 0, ff = 0, ctx = 512;
  float rope_base = 10000.0f, norm_eps = 1e-5f;
  BlockConfig block() const;
};

class LlamaLM : public Module {
 public:
  LlamaLM(const LlamaLmConfig& cfg, Rng& rng);
  const LlamaLmConfig& config() const { return cfg_; }

  Tensor embed(const Tensor& ids) const;  // i32 [B, T] -> [B, T, dim]
  // [B, T, dim] embeddings -> [B, T, vocab] logits, positions 0..T-1, causal.
  // before_block(i, h), when given, replaces the hidden state entering block i (the
  // cross-attention family inserts its blocks there).
  using BlockHook = std::function<Tensor(int64_t block, const Tensor& h)>;
  Tensor forward_embeddings(const Tensor& h, const BlockHook& before_block = {}) const;
  Tensor forward(const Tensor& ids) const { return forward_embeddings(embed(ids)); }
  // LoRA on every linear of every block (attention and MLP); freezes the base weights.
  void enable_lora(int64_t rank, float alpha, Rng& rng);
  void merge_lora();

  Embedding token_embd;
  std::vector<std::unique_ptr<TransformerBlock>> blocks;
  RMSNorm output_norm;
  Linear output;

 private:
  std::vector<Linear*> block_linears();
  LlamaLmConfig cfg_;
};

}  // namespace anymal::nn
