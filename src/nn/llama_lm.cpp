#include "nn/llama_lm.h"

#include "ops/ops.h"

namespace anymal::nn {

BlockConfig LlamaLmConfig::block() const {
  BlockConfig b;
  b.dim = dim;
  b.n_head = n_head;
  b.n_kv_head = n_kv_head;
  b.ff_dim = ff;
  b.norm_eps = norm_eps;
  b.rope_base = rope_base;
  return b;  // RMSNorm, SwiGLU, causal, RoPE (adjacent pairs, as GGUF llama), no biases
}

LlamaLM::LlamaLM(const LlamaLmConfig& cfg, Rng& rng)
    : token_embd(cfg.vocab, cfg.dim, rng, 0.02f),
      output_norm(cfg.dim, cfg.norm_eps),
      output(cfg.dim, cfg.vocab, false, rng),
      cfg_(cfg) {
  register_module("token_embd", token_embd);
  for (int64_t i = 0; i < cfg.n_layer; ++i) {
    blocks.push_back(std::make_unique<TransformerBlock>(cfg.block(), rng));
    register_module("blk." + std::to_string(i), *blocks.back());
  }
  register_module("output_norm", output_norm);
  register_module("output", output);
}

Tensor LlamaLM::embed(const Tensor& ids) const { return token_embd.forward(ids); }

Tensor LlamaLM::forward_embeddings(const Tensor& h0, const BlockHook& before_block) const {
  const int64_t T = h0.dim(1);
  std::vector<int32_t> pos(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) pos[size_t(t)] = int32_t(t);
  const Tensor positions = Tensor::from_ints(pos, Shape{T});
  Tensor h = h0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (before_block) h = before_block(int64_t(i), h);
    h = blocks[i]->forward(h, positions);
  }
  return output.forward(output_norm.forward(h));
}

std::vector<Linear*> LlamaLM::block_linears() {
  std::vector<Linear*> out;
  for (auto& b : blocks) {
    for (Linear* l : {&b->attn.q, &b->attn.k, &b->attn.v, &b->attn.o, &b->mlp.up, &b->mlp.down})
      out.push_back(l);
    if (b->mlp.gate) out.push_back(b->mlp.gate.get());
  }
  return out;
}

void LlamaLM::enable_lora(int64_t rank, float alpha, Rng& rng) {
  for (Linear* l : block_linears()) l->enable_lora(rank, alpha, rng);
}

void LlamaLM::merge_lora() {
  for (Linear* l : block_linears())
    if (l->has_lora()) l->merge_lora();
}

}  // namespace anymal::nn
