// Linear: y = x · Wᵀ + b, W [out, in] (the nn.Linear and GGUF layout), with an optional LoRA
// adapter: y += (alpha / rank) · (x · Aᵀ) · Bᵀ, A [rank, in], B [out, rank] (B starts at zero,
// so enabling an adapter leaves the output unchanged). Enabling LoRA freezes W and b.
// compute_dtype bf16 runs the matmuls in bf16 (oneDNN) on bf16 copies of x and W while W
// itself stays the f32 master the optimizer updates.
#pragma once

#include "core/rng.h"
#include "nn/module.h"

namespace anymal::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias, Rng& rng);

  Tensor forward(const Tensor& x) const;
  void enable_lora(int64_t rank, float alpha, Rng& rng);
  // Folds the adapter into W (W += alpha/rank · B·A) and removes it from the forward.
  void merge_lora();
  void set_compute_dtype(DType dtype) { compute_dtype_ = dtype; }
  bool has_lora() const { return lora_a_.defined(); }

  int64_t in_features() const { return weight_.dim(1); }
  int64_t out_features() const { return weight_.dim(0); }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  Tensor weight_;  // [out, in]
  Tensor bias_;    // [out] or undefined
  Tensor lora_a_;  // [rank, in] or undefined
  Tensor lora_b_;  // [out, rank]
  float lora_scale_ = 0;
  bool lora_merged_ = false;
  DType compute_dtype_ = DType::f32;
};

}  // namespace anymal::nn
