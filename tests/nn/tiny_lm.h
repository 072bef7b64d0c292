// A tiny decoder-only LM for tests: token_embd -> blk.N -> output_norm -> output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/linear.h"
#include "nn/transformer_block.h"
#include "ops/ops.h"

namespace anymal::testkit {

class TinyLM : public nn::Module {
 public:
  TinyLM(int64_t vocab, const nn::BlockConfig& cfg, int n_layers, Rng& rng)
      : token_embd(vocab, cfg.dim, rng, 0.1f),
        output_norm(cfg.dim),
        output(cfg.dim, vocab, false, rng) {
    register_module("token_embd", token_embd);
    for (int i = 0; i < n_layers; ++i) {
      blocks.push_back(std::make_unique<nn::TransformerBlock>(cfg, rng));
      register_module("blk." + std::to_string(i), *blocks.back());
    }
    register_module("output_norm", output_norm);
    register_module("output", output);
  }

  // ids i32 [B, T] -> logits [B, T, vocab]
  Tensor forward(const Tensor& ids) const {
    int64_t T = ids.dim(1);
    std::vector<int32_t> pos(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) pos[size_t(t)] = int32_t(t);
    Tensor positions = Tensor::from_ints(pos, Shape{T});
    Tensor h = token_embd.forward(ids);
    for (auto& b : blocks) h = b->forward(h, positions);
    return output.forward(output_norm.forward(h));
  }

  nn::Embedding token_embd;
  std::vector<std::unique_ptr<nn::TransformerBlock>> blocks;
  nn::RMSNorm output_norm;
  nn::Linear output;
};

}  // namespace anymal::testkit
