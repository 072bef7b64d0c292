#include "autograd/backward.h"

#include <unordered_map>
#include <unordered_set>

#include "ops/elementwise.h"
#include "ops/view.h"

namespace anymal::autograd {

namespace {

// Reverse topological order of the op results reachable from root (iterative DFS: deep
// graphs — long unrolled sequences — must not overflow the stack).
std::vector<TensorImpl*> topo_order(TensorImpl* root) {
  std::vector<TensorImpl*> order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<TensorImpl*, size_t>> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    Node* fn = node->grad_fn.get();
    if (fn && next < fn->inputs.size()) {
      const Tensor& in = fn->inputs[next++];
      if (in.defined() && in.impl()->grad_fn && visited.insert(in.impl()).second)
        stack.push_back({in.impl(), 0});
      continue;
    }
    order.push_back(node);
    stack.pop_back();
  }
  std::reverse(order.begin(), order.end());
  return order;
}

Tensor accumulate(const Tensor& acc, const Tensor& g) {
  return acc.defined() ? ops::add(acc, g) : ops::contiguous(ops::cast(g, DType::f32));
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad, const LeafDone& leaf_done,
              const BeforeNode& before_node) {
  if (!root.defined()) throw_error(ErrorKind::invalid_input, "backward: undefined tensor");
  if (!root.requires_grad())
    throw_error(ErrorKind::invalid_input, "backward: " + root.str() + " does not require grad");
  NoGrad no_grad;
  Tensor seed = grad;
  if (!seed.defined()) {
    if (root.numel() != 1)
      throw_error(ErrorKind::invalid_input,
                  "backward: " + root.str() + " is not a scalar; pass its gradient explicitly");
    seed = Tensor::full(root.shape(), 1.0f);
  } else if (seed.shape() != root.shape()) {
    throw_error(ErrorKind::invalid_input,
                "backward: gradient " + seed.str() + " for " + root.str());
  }
  auto add_leaf_grad = [](TensorImpl* leaf, const Tensor& g) {
    Tensor sum = accumulate(Tensor(leaf->grad), g);
    if (sum.shape() != leaf->shape)
      throw_error(ErrorKind::internal, "backward: gradient shape " + sum.shape().str() +
                                           " for leaf " + leaf->shape.str());
    leaf->grad = sum.impl_ptr();
  };
  if (!root.impl()->grad_fn) {  // the root is itself a leaf
    add_leaf_grad(root.impl(), seed);
    if (leaf_done) leaf_done(root.impl());
    return;
  }
  const std::vector<TensorImpl*> order = topo_order(root.impl());
  // The leaves whose last op is order[i] are complete once it has run.
  std::vector<std::vector<TensorImpl*>> complete_after;
  if (leaf_done) {
    std::unordered_map<TensorImpl*, size_t> last;
    for (size_t i = 0; i < order.size(); ++i) {
      const Node& fn = *order[i]->grad_fn;
      for (size_t k = 0; k < fn.inputs.size(); ++k)
        if (fn.needs[k] && fn.inputs[k].defined() && !fn.inputs[k].impl()->grad_fn &&
            fn.inputs[k].impl()->requires_grad)
          last[fn.inputs[k].impl()] = i;
    }
    complete_after.resize(order.size());
    for (const auto& [leaf, i] : last) complete_after[i].push_back(leaf);
  }
  auto report = [&](size_t i) {
    if (leaf_done)
      for (TensorImpl* leaf : complete_after[i])
        if (leaf->grad) leaf_done(leaf);
  };
  std::unordered_map<TensorImpl*, Tensor> grads{{root.impl(), seed}};
  for (size_t at = 0; at < order.size(); ++at) {
    TensorImpl* node = order[at];
    auto it = grads.find(node);
    if (it == grads.end()) {  // nothing flowed here
      report(at);
      continue;
    }
    Tensor g = it->second;
    grads.erase(it);
    Node& fn = *node->grad_fn;
    if (before_node) before_node(fn);
    std::vector<Tensor> in_grads = fn.vjp(g, fn.needs);
    ANYMAL_ASSERT(in_grads.size() == fn.inputs.size());
    for (size_t i = 0; i < fn.inputs.size(); ++i) {
      if (!fn.needs[i] || !in_grads[i].defined()) continue;
      const Tensor& in = fn.inputs[i];
      if (in.shape() != in_grads[i].shape())
        throw_error(ErrorKind::internal, std::string(fn.op) + " vjp: gradient " +
                                             in_grads[i].str() + " for input " + in.str());
      if (in.impl()->grad_fn) {
        auto& slot = grads[in.impl()];
        slot = accumulate(slot, in_grads[i]);
      } else if (in.impl()->requires_grad) {
        add_leaf_grad(in.impl(), in_grads[i]);
      }
    }
    report(at);
  }
}

}  // namespace anymal::autograd
