#include "core/autograd_node.h"

namespace anymal::autograd {

namespace {
thread_local bool tls_grad_enabled = true;  // per-thread mode, like PyTorch's
}

bool grad_enabled() { return tls_grad_enabled; }

NoGrad::NoGrad() : previous_(tls_grad_enabled) { tls_grad_enabled = false; }
NoGrad::~NoGrad() { tls_grad_enabled = previous_; }

Tensor record(Tensor out, const char* op, std::vector<Tensor> inputs, VjpFn vjp) {
  if (!tls_grad_enabled) return out;
  std::vector<bool> needs(inputs.size());
  bool any = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    needs[i] = inputs[i].defined() && inputs[i].requires_grad();
    any = any || needs[i];
  }
  if (!any) return out;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->needs = std::move(needs);
  node->vjp = std::move(vjp);
  out.impl()->grad_fn = std::move(node);
  return out;
}

Tensor detach(const Tensor& t) {
  if (!t.defined()) return t;
  return t.view_as(t.shape(), t.strides(), t.offset());
}

}  // namespace anymal::autograd
