#include "nn/module.h"

#include "ops/op_util.h"

namespace anymal::nn {

Tensor& Module::register_parameter(const std::string& name, Tensor value, bool trainable) {
  value.set_name(name);
  if (trainable) value.set_requires_grad(true);
  params_.emplace_back(name, std::move(value));
  return params_.back().second;
}

void Module::register_module(const std::string& name, Module& child) {
  children_.emplace_back(name, &child);
}

void Module::collect(const std::string& prefix,
                     std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const auto& [name, t] : params_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_)
    child->collect(name.empty() ? prefix : prefix + name + ".", out);  // "" flattens
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", out);
  return out;
}

std::vector<Tensor> Module::trainable_parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters())
    if (t.impl()->requires_grad) out.push_back(t);
  return out;
}

Tensor Module::parameter(const std::string& name) const {
  for (auto& [n, t] : named_parameters())
    if (n == name) return t;
  throw_error(ErrorKind::invalid_input, "no parameter named " + name);
}

void Module::load_parameter(const std::string& name, const Tensor& value) {
  Tensor p = parameter(name);
  if (p.shape() != value.shape())
    throw_error(ErrorKind::invalid_input, "tensor " + name + " has shape " + value.shape().str() +
                                              ", expected " + p.shape().str());
  ops::detail::copy_into(value, p);
}

void Module::set_requires_grad(bool on) {
  for (auto& [name, t] : named_parameters()) t.impl()->requires_grad = on;
}

void Module::zero_grad() {
  for (auto& [name, t] : named_parameters()) t.zero_grad();
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

}  // namespace anymal::nn
