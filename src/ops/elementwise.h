// Elementwise ops. Binary ops broadcast like numpy; results take the dtype of `a` (compute is
// f32). Activations keep the input's dtype.
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, float s);  // x * s

Tensor gelu(const Tensor& x);        // tanh approximation (GPT-2, llama.cpp ggml_gelu)
Tensor gelu_erf(const Tensor& x);    // exact, erf-based (PyTorch default, CLIP)
Tensor quick_gelu(const Tensor& x);  // x * sigmoid(1.702 x) (OpenAI CLIP)
Tensor silu(const Tensor& x);        // x * sigmoid(x)
Tensor tanh(const Tensor& x);        // gates (Flamingo's tanh(alpha))
Tensor swiglu(const Tensor& gate, const Tensor& up);  // silu(gate) * up, same shapes

// Sums x over the dims that broadcasting expanded from `shape` (the vjp of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace anymal::ops
