#include "backend/cpu/quant_matmul.h"

#include <vector>

#include "backend/cpu/isa_kernels.h"
#include "backend/cpu/quant.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

namespace {

// Below this many x rows, streaming W row by row beats dequantizing it whole for a GEMM.
constexpr int64_t kGemmMinRows = 16;
constexpr int64_t kRowsPerTask = 16;

double dot(const float* a, const float* b, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;  // independent chains: the compiler vectorizes these
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return double(s0 + s1) + double(s2 + s3);
}

}  // namespace

void quant_matmul(GgmlType type, const void* w, int64_t n_rows, int64_t k, const float* x,
                  int64_t t, float* y) {
  if (!can_dequantize(type))
    throw_error(ErrorKind::unsupported, std::string("matmul with ") + ggml_type_name(type) +
                                            " weights is not supported yet");
  const size_t row_bytes = ggml_row_bytes(type, k);
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  MatmulParams p;
  p.m = t;
  p.n = n_rows;
  p.k = k;
  p.trans_b = true;
  p.lda = k;
  p.ldb = k;
  p.ldc = n_rows;
  if (type == GgmlType::f32 && t >= kGemmMinRows) {
    onednn_matmul(p, x, w, y);
    return;
  }
  if (t >= kGemmMinRows) {
    std::vector<float> wf(static_cast<size_t>(n_rows * k));
    parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r)
        dequantize_row(type, wb + size_t(r) * row_bytes, wf.data() + r * k, k);
    });
    onednn_matmul(p, x, wf.data(), y);
    return;
  }
  parallel_for(n_rows, kRowsPerTask, [&](int64_t lo, int64_t hi) {
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t r = lo; r < hi; ++r) {
      dequantize_row(type, wb + size_t(r) * row_bytes, row.data(), k);
      for (int64_t i = 0; i < t; ++i) y[i * n_rows + r] = float(dot(x + i * k, row.data(), k));
    }
  });
}

}  // namespace anymal::cpu
