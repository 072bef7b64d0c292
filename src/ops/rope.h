// Rotary position embedding on x: [B, T, H, D] with positions: i32 [T].
// Pairs are rotated by θ_i = pos · base^(-2i/n_rot), i < n_rot/2 (n_rot <= D; the remaining
// dims pass through). mode norm: adjacent pairs (x[2i], x[2i+1]) — llama.cpp's default for
// Llama GGUFs. mode neox: halves (x[i], x[i + n_rot/2]) — GPT-NeoX / Hugging Face layout.
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

enum class RopeMode { norm, neox };

Tensor rope(const Tensor& x, const Tensor& positions, float base, RopeMode mode,
            int64_t n_rot = 0 /* 0: all of D */);

}  // namespace anymal::ops
