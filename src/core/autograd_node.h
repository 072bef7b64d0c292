// The autograd record: every differentiable op result carries a Node holding its inputs and
// its vjp (vector-Jacobian product). Lives in core because TensorImpl points to it; ops/
// create Nodes, autograd/ walks them (backward). Recording is on unless a NoGrad is alive on
// the calling thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace anymal::autograd {

// Receives the gradient of the op's output and which inputs need one; returns one gradient
// per input (undefined where not needed). Gradients are f32.
using VjpFn =
    std::function<std::vector<Tensor>(const Tensor& grad, const std::vector<bool>& needs)>;

struct Node {
  const char* op;
  std::vector<Tensor> inputs;
  std::vector<bool> needs;  // inputs[i].requires_grad() when recorded
  VjpFn vjp;
};

bool grad_enabled();

// While alive, ops on this thread record nothing (inference, optimizer steps, backward itself).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

// Attaches a Node to `out` when recording is on and any input requires grad; returns `out`.
// The vjp must not capture `out` itself (that would be a reference cycle): capture
// detach(out) instead.
Tensor record(Tensor out, const char* op, std::vector<Tensor> inputs, VjpFn vjp);

// A new handle on the same data with no autograd history.
Tensor detach(const Tensor& t);

}  // namespace anymal::autograd
