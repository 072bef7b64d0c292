// Reverse-mode differentiation over the recorded graph.
//
// backward(loss) visits every op result that `loss` depends on in reverse topological order,
// calls each op's vjp once with the summed gradient of its output, and accumulates (adds) the
// gradients of leaves — tensors with set_requires_grad() — into their .grad(). Gradients are
// f32. Runs under NoGrad: the backward pass records nothing.
#pragma once

#include <functional>

#include "core/autograd_node.h"
#include "core/tensor.h"

namespace anymal::autograd {

// `grad` defaults to 1 and then `root` must have one element. leaf_done, when given, is called
// for each leaf as soon as its gradient for this pass is complete (no op left to add to it),
// so a data-parallel trainer can start reducing it while the rest of the pass runs.
// before_node, when given, is called with each op before its vjp runs (a sharded trainer
// gathers the weights the vjp reads).
using LeafDone = std::function<void(TensorImpl* leaf)>;
using BeforeNode = std::function<void(const Node& op)>;
void backward(const Tensor& root, const Tensor& grad = Tensor(), const LeafDone& leaf_done = {},
              const BeforeNode& before_node = {});

}  // namespace anymal::autograd
