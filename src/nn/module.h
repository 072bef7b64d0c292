// Module: a named tree of parameters, so checkpoints and GGUF tensor names map 1:1 to fields.
//
// A module registers its parameters (register_parameter) and its sub-modules
// (register_module) in its constructor; names join with '.' ("blk.0.attn_q.weight").
// Sub-modules are members of their parent, so modules are neither copied nor moved.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace anymal::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter below this module, depth first, with its full dotted name.
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  // Only those with requires_grad (what an optimizer updates).
  std::vector<Tensor> trainable_parameters() const;
  // Looks a parameter up by its dotted name; throws invalid_input naming it when absent.
  Tensor parameter(const std::string& name) const;
  // Copies `value` into the named parameter (shape must match; dtype converts).
  void load_parameter(const std::string& name, const Tensor& value);
  void set_requires_grad(bool on);  // freezes (false) or unfreezes every parameter below
  void zero_grad();
  int64_t parameter_count() const;

  // Called at the start of forward by modules that support it (TransformerBlock): how a
  // sharded trainer gathers a block's weights just before they are used.
  void set_pre_forward(std::function<void()> fn) { pre_forward_ = std::move(fn); }

 protected:
  Tensor& register_parameter(const std::string& name, Tensor value, bool trainable = true);
  void register_module(const std::string& name, Module& child);
  void pre_forward() const {
    if (pre_forward_) pre_forward_();
  }

 private:
  std::function<void()> pre_forward_;
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const;

  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, Module*>> children_;
};

}  // namespace anymal::nn
