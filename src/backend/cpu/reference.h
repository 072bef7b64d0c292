// The reference variant of every CPU kernel (see kernels.h for the contracts): plain loops,
// single-threaded, written to be read and trusted.
#pragma once

#include "backend/cpu/kernels.h"

namespace anymal::cpu::reference {

void binary(BinaryOp op, const float* a, int64_t n, const float* b, int64_t m, float* out);
void unary(UnaryOp op, const float* x, float* y, int64_t n);
void unary_backward(UnaryOp op, const float* x, const float* gy, float* gx, int64_t n);
void swiglu(const float* gate, const float* up, float* out, int64_t n);
void adamw(float* p, float* m, float* v, const float* g, int64_t n, const AdamWParams& k);
void swiglu_backward(const float* gate, const float* up, const float* gout, float* ggate,
                     float* gup, int64_t n);
void rms_norm(const float* x, const float* w, float* y, int64_t rows, int64_t cols, float eps);
void rms_norm_backward(const float* x, const float* w, const float* gy, float* gx, float* gw,
                       int64_t rows, int64_t cols, float eps);
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t rows,
                int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* w, const float* gy, float* gx, float* gw,
                         float* gb, int64_t rows, int64_t cols, float eps);
void softmax(const float* x, float* y, int64_t rows, int64_t cols, int64_t causal_q);
void softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols);
void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse,
                   int64_t rows, int64_t cols, int32_t ignore_index);
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                            float gscale, float* glogits, int64_t rows, int64_t cols,
                            int32_t ignore_index);
void attention(const AttentionParams& p, const float* q, const float* k, const float* v, float* out,
               float* lse);
void attention_backward(const AttentionParams& p, const float* q, const float* k, const float* v,
                        const float* out, const float* lse, const float* gout, float* gq, float* gk,
                        float* gv);
void matmul(const MatmulParams& p, const void* a, const void* b, float* c);
// Dequantizes each row (reference), then a double-accumulated dot.
void quant_dot_rows(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t k,
                    const float* x, int64_t t, float* y, int64_t ldy);
// bf16 weight rows (row_elems apart) against x already in bf16 [t, k]: double-accumulated.
void bf16_dot_rows(const uint16_t* w, size_t row_elems, int64_t n_rows, int64_t k,
                   const uint16_t* x, int64_t t, float* y, int64_t ldy);
// q8_0 activation blocks (see CpuKernels::quantize_q8_blocks), rounding half away from zero.
void quantize_q8_blocks(const float* x, int64_t n_blocks, int32_t offset, int8_t* q, float* d,
                        int32_t* corr, int32_t* block_corr);
// Integer block dots on quantized activations (plain loops; also the scalar variant's).
void q8_dot_rows(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, const ActQ8& x,
                 float* y, int64_t ldy);

}  // namespace anymal::cpu::reference

// Kernels with only a reference variant (data movement and cheap elementwise).
namespace anymal::cpu::reference {

// x, y: [B, T, H, D]; pos: [T]. inverse rotates by -θ (the vjp).
void rope(const float* x, float* y, const int32_t* pos, int64_t batch, int64_t tokens,
          int64_t heads, int64_t dim, int64_t n_rot, float base, bool neox, bool inverse);
// The same in two steps, for callers that rotate many tensors at the same positions (every
// layer of a forward pass): cs [T, n_rot/2, 2] holds cos θ, sin θ of each position and pair
// (sincos is most of RoPE's cost), then rope_apply rotates with it, bit-identical to rope.
void rope_table(const int32_t* pos, int64_t tokens, int64_t n_rot, float base, double* cs);
void rope_apply(const float* x, float* y, const double* cs, int64_t batch, int64_t tokens,
                int64_t heads, int64_t dim, int64_t n_rot, bool neox, bool inverse);
// out[i] = table[ids[i]] rows of width `dim`; ids already validated.
void gather_rows(const float* table, const int32_t* ids, int64_t n, int64_t dim, float* out);
// table[ids[i]] += src[i] (the vjp of gather_rows); table must be zeroed by the caller.
void scatter_add_rows(const float* src, const int32_t* ids, int64_t n, int64_t dim, float* table);
// img [B, C, H, W] -> patches [B, (H/P)*(W/P), C*P*P], feature order (c, py, px); and back.
void patchify(const float* img, float* patches, int64_t batch, int64_t channels, int64_t height,
              int64_t width, int64_t patch);
void unpatchify(const float* patches, float* img, int64_t batch, int64_t channels, int64_t height,
                int64_t width, int64_t patch);

}  // namespace anymal::cpu::reference
