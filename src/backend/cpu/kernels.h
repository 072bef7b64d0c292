// The CPU kernel table: one entry per op that has a fast path, all on contiguous f32 buffers
// (matmul also takes bf16). Ops (src/ops) convert and lay out their operands, then call
// cpu_kernels().fn(...). Every entry exists in every variant:
//
//   reference — plain loops, written to be obviously right (the oracle of the op tests)
//   scalar    — the optimized algorithms with 1-wide vectors (for CPUs without AVX2)
//   avx2      — the same algorithms, 8-wide (AVX2 + FMA)
//   avx512    — 16-wide (AVX-512F/BW/DQ/VL + VNNI); GEMM through oneDNN in all but reference
//
// The best variant the CPU supports is chosen at run time; KernelVariantScope overrides it for
// the calling thread (the op-consistency test and benchmarks run every variant).
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/ggml_types.h"

namespace anymal::cpu {

enum class KernelVariant { reference, scalar, avx2, avx512 };
enum class BinaryOp { add, sub, mul, div };
enum class UnaryOp { gelu_tanh, gelu_erf, quick_gelu, silu, tanh };

const char* variant_name(KernelVariant v);

// C[b] = op(A[b]) · op(B[b]) for b in [0, batch); row-major; op(X) = X or Xᵀ.
// Per-batch element offsets are stride_a/b/c elements (0 broadcasts one matrix to all).
struct MatmulParams {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  int64_t lda = 0, ldb = 0, ldc = 0;  // leading dims of the stored (untransposed) matrices
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  DType dtype = DType::f32;  // of A and B: f32 or bf16; C is always f32
  bool accumulate = false;   // C += instead of C =
};

// Scaled-dot-product attention over layout [batch, tokens, heads, head_dim] (contiguous).
// Query head h reads kv head h / (n_head / n_kv_head) (GQA/MQA). With `causal`, query i may see
// keys j <= i + (n_kv - n_q) (aligned to the end, as with a KV cache). `mask` is an optional
// additive [n_q, n_kv] matrix shared by all batches and heads.
struct AttentionParams {
  int64_t batch = 1, n_q = 0, n_kv = 0, n_head = 1, n_kv_head = 1, head_dim = 0;
  float scale = 1.0f;
  bool causal = false;
  const float* mask = nullptr;  // [n_q, n_kv] or null
};

// Activations quantized for the integer dot kernels, as ggml's quantize_row_q8_0 does: per 32
// values a scale d = amax/127 and int8 q = round(x/d). corr holds, per 4 consecutive values,
// -offset·Σq: the correction the SIMD kernels add when they read weights as unsigned bytes
// (q4_0 nibbles are q+8; q8_0 bytes are flipped to q+128), so one u8×s8 dot gives Σ w·x.
struct ActQ8 {
  int64_t t = 0, k = 0;
  std::vector<int8_t> q;            // [t, k]
  std::vector<float> d;             // [t, k/32]
  std::vector<int32_t> corr;        // [t, k/4]
  std::vector<int32_t> block_corr;  // [t, k/32]: the same per 32 values (packed kernels)
};

// One AdamW step's constants, the bias corrections folded in: step_size = lr / (1 − β1^t),
// bc2_sqrt = √(1 − β2^t), decay = 1 − lr·weight_decay.
struct AdamWParams {
  float step_size, bc2_sqrt, decay, b1, b2, eps;
};

class PackedQ8;    // backend/cpu/packed_q8.h
class PackedF16;   // backend/cpu/packed_f16.h
class PackedBF16;  // backend/cpu/packed_bf16.h

// The activation type a weight type's integer dot kernel takes (q8_0 blocks), or false when it
// has none and decodes through quant_dot_rows.
bool has_q8_dot(GgmlType type);
// Quantizes x [t, k] (k a multiple of 32) for weights of `type` into out (resized, reused).
void quantize_act_q8(GgmlType type, const float* x, int64_t t, int64_t k, ActQ8& out);

struct CpuKernels {
  KernelVariant variant;
  // out[i] = a[i] op b[i % m]; n % m == 0 (m == n: same shape; m == 1: scalar; else rows).
  void (*binary)(BinaryOp op, const float* a, int64_t n, const float* b, int64_t m, float* out);
  void (*unary)(UnaryOp op, const float* x, float* y, int64_t n);
  // gx = gy * f'(x)
  void (*unary_backward)(UnaryOp op, const float* x, const float* gy, float* gx, int64_t n);
  // out = silu(gate) * up
  void (*swiglu)(const float* gate, const float* up, float* out, int64_t n);
  void (*swiglu_backward)(const float* gate, const float* up, const float* gout, float* ggate,
                          float* gup, int64_t n);
  // Row-wise over [rows, cols]; w (and b) are [cols] or null.
  void (*rms_norm)(const float* x, const float* w, float* y, int64_t rows, int64_t cols, float eps);
  // gw (may be null) receives the sum over rows (overwritten).
  void (*rms_norm_backward)(const float* x, const float* w, const float* gy, float* gx, float* gw,
                            int64_t rows, int64_t cols, float eps);
  void (*layer_norm)(const float* x, const float* w, const float* b, float* y, int64_t rows,
                     int64_t cols, float eps);
  void (*layer_norm_backward)(const float* x, const float* w, const float* gy, float* gx, float* gw,
                              float* gb, int64_t rows, int64_t cols, float eps);
  // Row-wise softmax of [rows, cols]. causal_q > 0: rows are grouped in matrices of causal_q
  // query rows; row i of a group sees columns j <= i + (cols - causal_q), the rest are 0.
  void (*softmax)(const float* x, float* y, int64_t rows, int64_t cols, int64_t causal_q);
  void (*softmax_backward)(const float* y, const float* gy, float* gx, int64_t rows, int64_t cols);
  // Per row: lse[r] = logsumexp(logits[r]); loss[r] = lse - logits[r][t] (0 when ignored).
  void (*cross_entropy)(const float* logits, const int32_t* targets, float* loss, float* lse,
                        int64_t rows, int64_t cols, int32_t ignore_index);
  // glogits[r] = (softmax(logits[r]) - onehot(t)) * gscale (0 rows where ignored).
  void (*cross_entropy_backward)(const float* logits, const int32_t* targets, const float* lse,
                                 float gscale, float* glogits, int64_t rows, int64_t cols,
                                 int32_t ignore_index);
  // out [B,n_q,H,D]; lse [B,H,n_q] (log-sum-exp of each query's scaled scores, for backward).
  void (*attention)(const AttentionParams& p, const float* q, const float* k, const float* v,
                    float* out, float* lse);
  // gk/gv are overwritten (not accumulated).
  void (*attention_backward)(const AttentionParams& p, const float* q, const float* k,
                             const float* v, const float* out, const float* lse, const float* gout,
                             float* gq, float* gk, float* gv);
  void (*matmul)(const MatmulParams& p, const void* a, const void* b, float* c);
  // y[i·ldy + r] = Σ_j x[i·k + j] · W[r][j] for rows r < n_rows of a ggml-typed matrix (row
  // stride row_bytes) and i < t: fused dequantize-and-dot, W read once from memory.
  void (*quant_dot_rows)(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows,
                         int64_t k, const float* x, int64_t t, float* y, int64_t ldy);
  // Same with the activations quantized (has_q8_dot(type)): integer block dots, then the block
  // scales. x.t rows; the result differs from quant_dot_rows by x's quantization only.
  void (*q8_dot_rows)(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows,
                      const ActQ8& x, float* y, int64_t ldy);
  // Same for bf16 weights (rows row_elems apart) with x already rounded to bf16 [t, k], as ggml
  // takes it for them: AVX512-BF16 dot instructions where the CPU has them.
  void (*bf16_dot_rows)(const uint16_t* w, size_t row_elems, int64_t n_rows, int64_t k,
                        const uint16_t* x, int64_t t, float* y, int64_t ldy);
  // ActQ8's rows for n_blocks blocks of 32 values of x (see quantize_act_q8): q, d, corr and
  // block_corr at the blocks' offsets, with the weights' unsigned offset (8 or 128).
  void (*quantize_q8_blocks)(const float* x, int64_t n_blocks, int32_t offset, int8_t* q, float* d,
                             int32_t* corr, int32_t* block_corr);
  // y[i·ldy + r] for the rows r of groups [g0, g1) of a packed q4_0/q8_0 matrix and every row
  // i0 ≤ i < i1 of x (quantized for its type): the same integer block dots over the interleaved
  // layout.
  void (*packed_q8_dot)(const PackedQ8& w, int64_t g0, int64_t g1, const ActQ8& x, int64_t i0,
                        int64_t i1, float* y, int64_t ldy);
  // Same for a packed f16 matrix and f32 x ([·, w.cols()]).
  void (*packed_f16_dot)(const PackedF16& w, int64_t g0, int64_t g1, const float* x, int64_t i0,
                         int64_t i1, float* y, int64_t ldy);
  // Same for a packed bf16 matrix and x rounded to bf16 ([·, 2·w.pairs()]).
  void (*packed_bf16_dot)(const PackedBF16& w, int64_t g0, int64_t g1, const uint16_t* xb,
                          int64_t i0, int64_t i1, float* y, int64_t ldy);
  // n elements of a ggml type to f32.
  void (*dequantize)(GgmlType type, const void* src, float* dst, int64_t n);
  // dst = float(src) / dst = convert(src) for f16, bf16 (and f32: a copy).
  void (*to_f32)(DType from, const void* src, float* dst, int64_t n);
  void (*from_f32)(DType to, const float* src, void* dst, int64_t n);
  // AdamW on n parameters in place: p ·= decay; m = b1·m + (1 − b1)·g; v = b2·v + (1 − b2)·g·g;
  // p −= step_size·m / (√v / bc2_sqrt + eps). Elementwise, so the bits do not depend on the
  // threads; variants compiled with FMA may fuse a multiply-add (an ulp from the reference).
  void (*adamw)(float* p, float* m, float* v, const float* g, int64_t n, const AdamWParams& k);
  // reference::rope_apply (x, y [B,T,H,D], y may be x; cs from reference::rope_table) in f32:
  // cos and sin rounded to f32 once per position, then a multiply-add per element.
  void (*rope_apply)(const float* x, float* y, const double* cs, int64_t batch, int64_t tokens,
                     int64_t heads, int64_t dim, int64_t n_rot, bool neox, bool inverse);
};

const CpuKernels& kernels_for(KernelVariant v);
bool variant_supported(KernelVariant v);
std::vector<KernelVariant> supported_variants();  // reference first
KernelVariant best_variant();
const CpuKernels& cpu_kernels();  // the calling thread's active table

class KernelVariantScope {
 public:
  explicit KernelVariantScope(KernelVariant v);
  ~KernelVariantScope();

 private:
  int previous_;
};

}  // namespace anymal::cpu
