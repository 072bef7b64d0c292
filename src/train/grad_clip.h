// Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_): when the norm over all
// gradients exceeds max_norm, every gradient is scaled by max_norm / (norm + 1e-6).
// Returns the norm before clipping. Gradient accumulation needs no helper: gradients add up
// on the leaves across backward() calls until zero_grad(); scale each micro-batch loss by
// 1/n_micro to average.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace anymal::train {

float clip_grad_norm(const std::vector<Tensor>& params, float max_norm);

}  // namespace anymal::train
