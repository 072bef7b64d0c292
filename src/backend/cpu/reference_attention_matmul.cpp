// Reference kernels: attention (scores materialized per query row) and matmul (triple loop).
#include <cmath>
#include <vector>

#include "backend/cpu/quant.h"
#include "backend/cpu/reference.h"

namespace anymal::cpu::reference {

namespace {

// Scaled (and masked) scores of query (b, h, i) against every key; -inf where not visible.
void scores_row(const AttentionParams& p, const float* q, const float* k, int64_t b, int64_t h,
                int64_t i, std::vector<double>& s) {
  int64_t D = p.head_dim, kvh = h / (p.n_head / p.n_kv_head);
  const float* qi = q + ((b * p.n_q + i) * p.n_head + h) * D;
  for (int64_t j = 0; j < p.n_kv; ++j) {
    if (p.causal && j > i + (p.n_kv - p.n_q)) {
      s[size_t(j)] = -INFINITY;
      continue;
    }
    const float* kj = k + ((b * p.n_kv + j) * p.n_kv_head + kvh) * D;
    double dot = 0;
    for (int64_t d = 0; d < D; ++d) dot += double(qi[d]) * kj[d];
    s[size_t(j)] = dot * p.scale + (p.mask ? p.mask[i * p.n_kv + j] : 0.0f);
  }
}

double logsumexp(const std::vector<double>& s) {
  double mx = -INFINITY;
  for (double v : s) mx = std::max(mx, v);
  if (mx == -INFINITY) return -INFINITY;
  double sum = 0;
  for (double v : s) sum += std::exp(v - mx);
  return mx + std::log(sum);
}

float load(const void* base, DType t, int64_t i) {
  return t == DType::bf16 ? bf16_to_f32(static_cast<const uint16_t*>(base)[i])
                          : static_cast<const float*>(base)[i];
}

}  // namespace

void attention(const AttentionParams& p, const float* q, const float* k, const float* v, float* out,
               float* lse) {
  int64_t D = p.head_dim;
  std::vector<double> s(size_t(p.n_kv));
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.n_head; ++h)
      for (int64_t i = 0; i < p.n_q; ++i) {
        int64_t kvh = h / (p.n_head / p.n_kv_head);
        scores_row(p, q, k, b, h, i, s);
        double l = logsumexp(s);
        lse[(b * p.n_head + h) * p.n_q + i] = float(l);
        float* oi = out + ((b * p.n_q + i) * p.n_head + h) * D;
        for (int64_t d = 0; d < D; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < p.n_kv && l != -INFINITY; ++j)
            acc += std::exp(s[size_t(j)] - l) * v[((b * p.n_kv + j) * p.n_kv_head + kvh) * D + d];
          oi[d] = float(acc);
        }
      }
}

void attention_backward(const AttentionParams& p, const float* q, const float* k, const float* v,
                        const float* out, const float* lse, const float* gout, float* gq, float* gk,
                        float* gv) {
  int64_t D = p.head_dim;
  std::fill(gk, gk + p.batch * p.n_kv * p.n_kv_head * D, 0.0f);
  std::fill(gv, gv + p.batch * p.n_kv * p.n_kv_head * D, 0.0f);
  std::vector<double> s(size_t(p.n_kv));
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.n_head; ++h)
      for (int64_t i = 0; i < p.n_q; ++i) {
        int64_t kvh = h / (p.n_head / p.n_kv_head);
        int64_t qoff = ((b * p.n_q + i) * p.n_head + h) * D;
        scores_row(p, q, k, b, h, i, s);
        double l = lse[(b * p.n_head + h) * p.n_q + i];
        double Di = 0;  // gout_i · out_i = Σ_j p_j (gout_i · v_j)
        for (int64_t d = 0; d < D; ++d) Di += double(gout[qoff + d]) * out[qoff + d];
        for (int64_t d = 0; d < D; ++d) gq[qoff + d] = 0;
        if (l == -INFINITY) continue;
        for (int64_t j = 0; j < p.n_kv; ++j) {
          double pj = std::exp(s[size_t(j)] - l);
          if (pj == 0) continue;
          int64_t koff = ((b * p.n_kv + j) * p.n_kv_head + kvh) * D;
          double dp = 0;
          for (int64_t d = 0; d < D; ++d) dp += double(gout[qoff + d]) * v[koff + d];
          double ds = pj * (dp - Di) * p.scale;
          for (int64_t d = 0; d < D; ++d) {
            gq[qoff + d] += float(ds * k[koff + d]);
            gk[koff + d] += float(ds * q[qoff + d]);
            gv[koff + d] += float(pj * gout[qoff + d]);
          }
        }
      }
}

void matmul(const MatmulParams& p, const void* a, const void* b, float* c) {
  for (int64_t bt = 0; bt < p.batch; ++bt) {
    int64_t oa = bt * p.stride_a, ob = bt * p.stride_b;
    float* cb = c + bt * p.stride_c;
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < p.k; ++l) {
          float x = load(a, p.dtype, oa + (p.trans_a ? l * p.lda + i : i * p.lda + l));
          float y = load(b, p.dtype, ob + (p.trans_b ? j * p.ldb + l : l * p.ldb + j));
          acc += double(x) * y;
        }
        float& dst = cb[i * p.ldc + j];
        dst = p.accumulate ? dst + float(acc) : float(acc);
      }
  }
}

void quant_dot_rows(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t k,
                    const float* x, int64_t t, float* y, int64_t ldy) {
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t r = 0; r < n_rows; ++r) {
    dequantize_row(type, w + size_t(r) * row_bytes, row.data(), k);
    for (int64_t i = 0; i < t; ++i) {
      double acc = 0;
      for (int64_t j = 0; j < k; ++j) acc += double(row[size_t(j)]) * x[i * k + j];
      y[i * ldy + r] = float(acc);
    }
  }
}

void bf16_dot_rows(const uint16_t* w, size_t row_elems, int64_t n_rows, int64_t k,
                   const uint16_t* x, int64_t t, float* y, int64_t ldy) {
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t i = 0; i < t; ++i) {
      double acc = 0;
      for (int64_t j = 0; j < k; ++j)
        acc +=
            double(bf16_to_f32(w[size_t(r) * row_elems + size_t(j)])) * bf16_to_f32(x[i * k + j]);
      y[i * ldy + r] = float(acc);
    }
}

}  // namespace anymal::cpu::reference
