// Reverse-mode differentiation over the recorded graph.
//
// backward(loss) visits every op result that `loss` depends on in reverse topological order,
// calls each op's vjp once with the summed gradient of its output, and accumulates (adds) the
// gradients of leaves — tensors with set_requires_grad() — into their .grad(). Gradients are
// f32. Runs under NoGrad: the backward pass records nothing.
#pragma once

#include "core/autograd_node.h"
#include "core/tensor.h"

namespace anymal::autograd {

// `grad` defaults to 1 and then `root` must have one element.
void backward(const Tensor& root, const Tensor& grad = Tensor());

}  // namespace anymal::autograd
