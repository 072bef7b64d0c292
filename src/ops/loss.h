// Cross-entropy with a fused log-softmax: logits [N, V] (or [..., V]), targets i32 [N] (or
// [...]). Mean over the targets that are not ignore_index; 0 when every target is ignored.
// Targets outside [0, V) (other than ignore_index) are an error.
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int32_t ignore_index = -100);

}  // namespace anymal::ops
