#include "nn/linear.h"

#include <cmath>

#include "core/autograd_node.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/op_util.h"
#include "ops/view.h"

namespace anymal::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Rng& rng) {
  float bound = 1.0f / std::sqrt(float(std::max<int64_t>(1, in_features)));  // PyTorch's default
  weight_ = register_parameter("weight",
                               rand_uniform(Shape{out_features, in_features}, rng, -bound, bound));
  if (bias)
    bias_ = register_parameter("bias", rand_uniform(Shape{out_features}, rng, -bound, bound));
}

Tensor Linear::forward(const Tensor& x) const {
  Tensor xin = x, w = weight_;
  if (compute_dtype_ == DType::bf16) {
    xin = ops::cast(x, DType::bf16);
    w = ops::cast(weight_, DType::bf16);
  }
  Tensor y = ops::linear(xin, w, bias_);
  if (has_lora() && !lora_merged_) {
    Tensor a = lora_a_, b = lora_b_;
    if (compute_dtype_ == DType::bf16) {
      a = ops::cast(a, DType::bf16);
      b = ops::cast(b, DType::bf16);
    }
    Tensor h = ops::linear(xin, a);
    if (compute_dtype_ == DType::bf16) h = ops::cast(h, DType::bf16);
    y = ops::add(y, ops::scale(ops::linear(h, b), lora_scale_));
  }
  return y;
}

void Linear::enable_lora(int64_t rank, float alpha, Rng& rng) {
  if (rank <= 0) throw_error(ErrorKind::invalid_input, "lora rank must be positive");
  if (has_lora())
    throw_error(ErrorKind::invalid_input, "lora is already enabled on " + weight_.name());
  float bound = 1.0f / std::sqrt(float(in_features()));
  lora_a_ =
      register_parameter("lora_a", rand_uniform(Shape{rank, in_features()}, rng, -bound, bound));
  lora_b_ = register_parameter("lora_b", Tensor::zeros(Shape{out_features(), rank}));
  lora_scale_ = alpha / float(rank);
  weight_.impl()->requires_grad = false;
  if (bias_.defined()) bias_.impl()->requires_grad = false;
}

void Linear::merge_lora() {
  if (!has_lora() || lora_merged_) return;
  autograd::NoGrad no_grad;
  Tensor delta = ops::scale(ops::matmul(lora_b_, lora_a_), lora_scale_);  // [out, in]
  ops::detail::copy_into(ops::add(weight_, delta), weight_);
  lora_merged_ = true;
  lora_a_.impl()->requires_grad = false;
  lora_b_.impl()->requires_grad = false;
}

}  // namespace anymal::nn
