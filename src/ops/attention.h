// Fused scaled-dot-product attention, flash style: the forward never materializes the
// [T_q, T_k] score matrix (memory O(T), not O(T²)).
//   q: [B, T_q, H, D]   k, v: [B, T_k, H_kv, D]   ->  [B, T_q, H, D]
// H must be a multiple of H_kv (GQA; H_kv = 1 is MQA): query head h uses kv head h / (H/H_kv).
// causal: query i sees keys j <= i + (T_k - T_q). mask: optional additive [T_q, T_k] f32
// (a constant: no gradient flows into it). scale <= 0 means 1/sqrt(D).
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal,
                 const Tensor& mask = Tensor(), float scale = 0.0f);

}  // namespace anymal::ops
