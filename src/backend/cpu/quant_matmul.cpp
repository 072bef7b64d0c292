#include "backend/cpu/quant_matmul.h"

#include <algorithm>
#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/quant.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

namespace {

constexpr int64_t kRowsPerTask = 16;

// Below this many x rows, streaming W through the dot kernels beats widening it whole for a
// GEMM. f32/f16 weights go through tiles that share each weight load among 4 x rows, and their
// GEMM needs W widened to f32 first (10 bytes of traffic per weight): the tiles win up to ~32
// rows (a 16-row batched step of the demo model: 1.1 ms by tiles, 2.6 ms by GEMM).
int64_t gemm_min_rows(GgmlType type) {
  return type == GgmlType::f32 || type == GgmlType::f16 ? 32 : 16;
}

}  // namespace

void quant_matmul(GgmlType type, const void* w, int64_t n_rows, int64_t k, const float* x,
                  int64_t t, float* y) {
  QuantScratch scratch;
  quant_matmul(type, w, n_rows, k, x, t, y, scratch);
}

void quant_matmul(GgmlType type, const void* w, int64_t n_rows, int64_t k, const float* x,
                  int64_t t, float* y, QuantScratch& scratch) {
  if (!can_dequantize(type))
    throw_error(ErrorKind::unsupported, std::string("matmul with ") + ggml_type_name(type) +
                                            " weights is not supported yet");
  const CpuKernels& kern = cpu_kernels();
  const size_t row_bytes = ggml_row_bytes(type, k);
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const int64_t gemm_min = gemm_min_rows(type);
  if (t < gemm_min && has_q8_dot(type) && k % 32 == 0) {
    quantize_act_q8(type, x, t, k, scratch.act);
    parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
      kern.q8_dot_rows(type, wb + size_t(lo) * row_bytes, row_bytes, hi - lo, scratch.act, y + lo,
                       n_rows);
    });
    return;
  }
  if (t < gemm_min && type == GgmlType::bf16) {
    std::vector<uint16_t>& xb = scratch.x_bf16;
    xb.resize(static_cast<size_t>(t * k));
    kern.from_f32(DType::bf16, x, xb.data(), t * k);
    const uint16_t* wh = static_cast<const uint16_t*>(w);
    parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
      kern.bf16_dot_rows(wh + lo * k, size_t(k), hi - lo, k, xb.data(), t, y + lo, n_rows);
    });
    return;
  }
  if (t < gemm_min) {
    parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
      kern.quant_dot_rows(type, wb + size_t(lo) * row_bytes, row_bytes, hi - lo, k, x, t, y + lo,
                          n_rows);
    });
    return;
  }
  MatmulParams p;
  p.m = t;
  p.n = n_rows;
  p.k = k;
  p.trans_b = true;
  p.lda = k;
  p.ldb = k;
  p.ldc = n_rows;
  if (type == GgmlType::f32) return kern.matmul(p, x, w, y);
  if (type == GgmlType::f16) {  // f32 GEMM keeps f16 models within llama.cpp's f16 tolerance
    std::vector<float>& wf = scratch.f32;
    wf.resize(static_cast<size_t>(n_rows * k));
    parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
      kern.dequantize(type, wb + size_t(lo) * row_bytes, wf.data() + lo * k, (hi - lo) * k);
    });
    return kern.matmul(p, x, wf.data(), y);
  }
  // bf16 and quantized weights: a bf16 x bf16 -> f32 GEMM (twice the f32 rate), as llama.cpp
  // does for bf16 weights; quantized ones are widened to bf16 (not f32) on the way.
  std::vector<uint16_t>& xb = scratch.x_bf16;
  xb.resize(static_cast<size_t>(t * k));
  kern.from_f32(DType::bf16, x, xb.data(), t * k);
  p.dtype = DType::bf16;
  if (type == GgmlType::bf16) return kern.matmul(p, xb.data(), w, y);
  std::vector<uint16_t>& wh = scratch.bf16;
  wh.resize(static_cast<size_t>(n_rows * k));
  parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
    // A bounded f32 staging buffer: one sized for the whole range would be a fresh mmap, zeroed
    // page by page by the kernel, on every call.
    std::vector<float> rows(static_cast<size_t>(kRowsPerTask * k));
    for (int64_t r = lo; r < hi; r += kRowsPerTask) {
      const int64_t n = std::min(kRowsPerTask, hi - r);
      kern.dequantize(type, wb + size_t(r) * row_bytes, rows.data(), n * k);
      kern.from_f32(DType::bf16, rows.data(), wh.data() + r * k, n * k);
    }
  });
  kern.matmul(p, xb.data(), wh.data(), y);
}

}  // namespace anymal::cpu
