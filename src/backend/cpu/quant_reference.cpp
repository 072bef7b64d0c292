// Reference (de)quantization of ggml's block formats; layouts as in ggml-common.h.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/quant.h"
#include "core/dtype.h"
#include "core/error.h"

namespace anymal::cpu {

namespace {

constexpr int kQK = 32;    // QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0
constexpr int kQKK = 256;  // QK_K

struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
struct BlockQ4_1 {
  uint16_t d, m;
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ6_K) == 210);

float h2f(uint16_t h) { return f16_to_f32(h); }

// The 6-bit scale and min of sub-block j of a q4_K/q5_K block.
void scale_min_k4(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

template <typename Block, typename Fn>
void for_blocks(const void* src, int64_t n, int block, float* dst, Fn&& fn) {
  const Block* b = static_cast<const Block*>(src);
  for (int64_t i = 0; i < n / block; ++i) fn(b[i], dst + i * block);
}

// Symmetric 32-element blocks: d = max / -half_range, q = round(x / d) + offset.
// Mirrors quantize_row_q4_0_ref / q5_0 (sign of the largest-magnitude value kept).
float signed_absmax(const float* x, int n) {
  float amax = 0, max = 0;
  for (int j = 0; j < n; ++j)
    if (std::abs(x[j]) > amax) amax = std::abs(x[j]), max = x[j];
  return max;
}

// Fit of one 32-value sub-block to x ≈ scale·q - min with q in [0, nmax], min >= 0, weighted
// by `w`: a grid of iscales around nmax / (max - min), each refined by weighted least squares,
// keeping the smallest weighted squared error — ggml's make_qkx2_quants (rdelta 0.1; q4_K uses
// rmin -1 and 20 steps, q5_K -0.5 and 15), so K-quant files come out as llama-quantize writes them.
void fit_scale_min(const float* x, const float* w, int n, int nmax, float rmin, int nstep,
                   float& scale, float& min_out) {
  float mn = x[0], mx = x[0], sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  mn = std::min(mn, 0.0f);
  if (mx == mn) {
    scale = 0;
    min_out = -mn;
    return;
  }
  // `min` moves to each better fit, and later candidates quantize around it (as ggml does).
  float min = mn;
  auto quant = [&](float iscale, int i) {
    return std::clamp(std::nearbyint(iscale * (x[i] - min)), 0.0f, float(nmax));
  };
  float iscale = float(nmax) / (mx - min);
  scale = 1 / iscale;
  float best = 0;
  for (int i = 0; i < n; ++i) {
    float d = scale * quant(iscale, i) + min - x[i];
    best += w[i] * d * d;
  }
  float laux[32];
  for (int is = 0; is <= nstep; ++is) {
    float is_scale = (rmin + 0.1f * float(is) + float(nmax)) / (mx - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      float l = laux[i] = quant(is_scale, i);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det <= 0) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float err = 0;
    for (int i = 0; i < n; ++i) {
      float d = this_scale * laux[i] + this_min - x[i];
      err += w[i] * d * d;
    }
    if (err < best) best = err, scale = this_scale, min = this_min;
  }
  min_out = -min;
}

// The sub-block scales and mins of a q4_K / q5_K super-block, fitted and packed into the
// shared 12-byte 6-bit format; fills L with the quantized values (0..nmax).
template <typename Block>
void quantize_k4_scales(const float* x, int nmax, float rmin, int nstep, Block& b, uint8_t* L) {
  float scales[8], mins[8], w[32];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) w[l] = av_x + std::abs(xs[l]);
    fit_scale_min(xs, w, 32, nmax, rmin, nstep, scales[j], mins[j]);
  }
  float max_scale = std::max(0.0f, *std::max_element(scales, scales + 8));
  float max_min = std::max(0.0f, *std::max_element(mins, mins + 8));
  float inv_scale = max_scale > 0 ? 63 / max_scale : 0, inv_min = max_min > 0 ? 63 / max_min : 0;
  uint8_t sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = uint8_t(std::min(63.0f, std::nearbyint(inv_scale * scales[j])));
    mn[j] = uint8_t(std::min(63.0f, std::nearbyint(inv_min * mins[j])));
  }
  for (int j = 0; j < 4; ++j) {
    b.scales[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    b.scales[j + 4] = uint8_t((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
    b.scales[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  b.d = f32_to_f16(max_scale / 63);
  b.dmin = f32_to_f16(max_min / 63);
  float d = h2f(b.d), dmin = h2f(b.dmin);  // quantize against the stored (rounded) values
  std::fill(L, L + kQKK, uint8_t(0));
  for (int j = 0; j < 8; ++j) {
    float ds = d * float(sc[j]), dm = dmin * float(mn[j]);
    if (ds == 0) continue;
    for (int i = 0; i < 32; ++i)
      L[32 * j + i] =
          uint8_t(std::clamp(std::nearbyint((x[32 * j + i] + dm) / ds), 0.0f, float(nmax)));
  }
}

void quantize_q4_k_block(const float* x, BlockQ4_K& b) {
  uint8_t L[kQKK];
  quantize_k4_scales(x, 15, -1.0f, 20, b, L);
  for (int j = 0, o = 0; j < kQKK; j += 64, o += 32)
    for (int l = 0; l < 32; ++l) b.qs[o + l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
}

void quantize_q5_k_block(const float* x, BlockQ5_K& b) {
  uint8_t L[kQKK];
  quantize_k4_scales(x, 31, -0.5f, 15, b, L);
  std::memset(b.qh, 0, sizeof(b.qh));
  uint8_t m1 = 1, m2 = 2;
  for (int n = 0, o = 0; n < kQKK; n += 64, o += 32, m1 <<= 2, m2 <<= 2)
    for (int j = 0; j < 32; ++j) {
      int l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) l1 -= 16, b.qh[j] |= m1;
      if (l2 > 15) l2 -= 16, b.qh[j] |= m2;
      b.qs[o + j] = uint8_t(l1 | (l2 << 4));
    }
}

// Best signed scale for n values quantized to [-nmax, nmax): tries iscales around nmax / max
// and keeps the one with the largest x²-weighted least-squares gain (ggml's make_qx_quants
// with rmse_type 1, the choice of its q6_K reference quantizer).
float fit_symmetric_scale(const float* x, int n, int nmax) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i)
    if (std::abs(x[i]) > amax) amax = std::abs(x[i]), max = x[i];
  if (amax < 1e-15f) return 0;
  auto gain = [&](float iscale, float& sumlx, float& suml2) {
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      float l = std::clamp(std::nearbyint(iscale * x[i]), float(-nmax), float(nmax - 1));
      float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  };
  float sumlx, suml2;
  gain(-float(nmax) / max, sumlx, suml2);
  float scale = suml2 > 0 ? sumlx / suml2 : 0, best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    gain(-(float(nmax) + 0.1f * float(is)) / max, sumlx, suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) scale = sumlx / suml2, best = scale * sumlx;
  }
  return scale;
}

void quantize_q6_k_block(const float* x, BlockQ6_K& b) {
  float scales[16], max_abs = 0, max_scale = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = fit_symmetric_scale(x + 16 * j, 16, 32);
    if (std::abs(scales[j]) > max_abs) max_abs = std::abs(scales[j]), max_scale = scales[j];
  }
  if (max_abs < 1e-15f) {
    std::memset(&b, 0, sizeof(b));
    return;
  }
  float iscale = -128.0f / max_scale;
  b.d = f32_to_f16(1 / iscale);
  float d = h2f(b.d);
  for (int j = 0; j < 16; ++j)
    b.scales[j] = int8_t(std::min(127.0f, std::nearbyint(iscale * scales[j])));
  uint8_t L[kQKK];
  for (int j = 0; j < 16; ++j) {
    float ds = d * float(b.scales[j]);
    for (int i = 0; i < 16; ++i) {
      float q = ds != 0 ? std::nearbyint(x[16 * j + i] / ds) : 0.0f;
      L[16 * j + i] = uint8_t(std::clamp(q, -32.0f, 31.0f) + 32);
    }
  }
  for (int n = 0; n < kQKK; n += 128) {
    uint8_t* ql = b.ql + n / 2;
    uint8_t* qh = b.qh + n / 4;
    for (int l = 0; l < 32; ++l) {
      uint8_t q1 = L[n + l], q2 = L[n + l + 32], q3 = L[n + l + 64], q4 = L[n + l + 96];
      ql[l] = uint8_t((q1 & 0xF) | ((q3 & 0xF) << 4));
      ql[l + 32] = uint8_t((q2 & 0xF) | ((q4 & 0xF) << 4));
      qh[l] = uint8_t((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
}

}  // namespace

bool can_dequantize(GgmlType t) {
  switch (t) {
    case GgmlType::f32:
    case GgmlType::f16:
    case GgmlType::bf16:
    case GgmlType::q4_0:
    case GgmlType::q4_1:
    case GgmlType::q5_0:
    case GgmlType::q5_1:
    case GgmlType::q8_0:
    case GgmlType::q4_k:
    case GgmlType::q5_k:
    case GgmlType::q6_k:
      return true;
    default:
      return false;
  }
}

void dequantize_row(GgmlType type, const void* src, float* y, int64_t n) {
  switch (type) {
    case GgmlType::f32:
      std::memcpy(y, src, size_t(n) * 4);
      return;
    case GgmlType::f16:
      for (int64_t i = 0; i < n; ++i) y[i] = f16_to_f32(static_cast<const uint16_t*>(src)[i]);
      return;
    case GgmlType::bf16:
      for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(static_cast<const uint16_t*>(src)[i]);
      return;
    case GgmlType::q4_0:
      return for_blocks<BlockQ4_0>(src, n, kQK, y, [](const BlockQ4_0& b, float* o) {
        float d = h2f(b.d);
        for (int j = 0; j < kQK / 2; ++j) {
          o[j] = float((b.qs[j] & 0xF) - 8) * d;
          o[j + kQK / 2] = float((b.qs[j] >> 4) - 8) * d;
        }
      });
    case GgmlType::q4_1:
      return for_blocks<BlockQ4_1>(src, n, kQK, y, [](const BlockQ4_1& b, float* o) {
        float d = h2f(b.d), m = h2f(b.m);
        for (int j = 0; j < kQK / 2; ++j) {
          o[j] = float(b.qs[j] & 0xF) * d + m;
          o[j + kQK / 2] = float(b.qs[j] >> 4) * d + m;
        }
      });
    case GgmlType::q5_0:
      return for_blocks<BlockQ5_0>(src, n, kQK, y, [](const BlockQ5_0& b, float* o) {
        float d = h2f(b.d);
        uint32_t qh;
        std::memcpy(&qh, b.qh, 4);
        for (int j = 0; j < kQK / 2; ++j) {
          int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
          o[j] = float(((b.qs[j] & 0xF) | h0) - 16) * d;
          o[j + kQK / 2] = float(((b.qs[j] >> 4) | h1) - 16) * d;
        }
      });
    case GgmlType::q5_1:
      return for_blocks<BlockQ5_1>(src, n, kQK, y, [](const BlockQ5_1& b, float* o) {
        float d = h2f(b.d), m = h2f(b.m);
        uint32_t qh;
        std::memcpy(&qh, b.qh, 4);
        for (int j = 0; j < kQK / 2; ++j) {
          int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
          o[j] = float((b.qs[j] & 0xF) | h0) * d + m;
          o[j + kQK / 2] = float((b.qs[j] >> 4) | h1) * d + m;
        }
      });
    case GgmlType::q8_0:
      return for_blocks<BlockQ8_0>(src, n, kQK, y, [](const BlockQ8_0& b, float* o) {
        float d = h2f(b.d);
        for (int j = 0; j < kQK; ++j) o[j] = float(b.qs[j]) * d;
      });
    case GgmlType::q4_k:
      return for_blocks<BlockQ4_K>(src, n, kQKK, y, [](const BlockQ4_K& b, float* o) {
        float d = h2f(b.d), dmin = h2f(b.dmin);
        const uint8_t* q = b.qs;
        for (int j = 0, is = 0; j < kQKK; j += 64, is += 2, q += 32) {
          uint8_t sc, m;
          scale_min_k4(is, b.scales, sc, m);
          float d1 = d * sc, m1 = dmin * m;
          scale_min_k4(is + 1, b.scales, sc, m);
          float d2 = d * sc, m2 = dmin * m;
          for (int l = 0; l < 32; ++l) *o++ = d1 * float(q[l] & 0xF) - m1;
          for (int l = 0; l < 32; ++l) *o++ = d2 * float(q[l] >> 4) - m2;
        }
      });
    case GgmlType::q5_k:
      return for_blocks<BlockQ5_K>(src, n, kQKK, y, [](const BlockQ5_K& b, float* o) {
        float d = h2f(b.d), dmin = h2f(b.dmin);
        const uint8_t* ql = b.qs;
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < kQKK; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
          uint8_t sc, m;
          scale_min_k4(is, b.scales, sc, m);
          float d1 = d * sc, m1 = dmin * m;
          scale_min_k4(is + 1, b.scales, sc, m);
          float d2 = d * sc, m2 = dmin * m;
          for (int l = 0; l < 32; ++l)
            *o++ = d1 * float((ql[l] & 0xF) + (b.qh[l] & u1 ? 16 : 0)) - m1;
          for (int l = 0; l < 32; ++l)
            *o++ = d2 * float((ql[l] >> 4) + (b.qh[l] & u2 ? 16 : 0)) - m2;
        }
      });
    case GgmlType::q6_k:
      return for_blocks<BlockQ6_K>(src, n, kQKK, y, [](const BlockQ6_K& b, float* o) {
        float d = h2f(b.d);
        const uint8_t *ql = b.ql, *qh = b.qh;
        const int8_t* sc = b.scales;
        for (int n128 = 0; n128 < kQKK; n128 += 128, o += 128, ql += 64, qh += 32, sc += 8)
          for (int l = 0; l < 32; ++l) {
            int is = l / 16;
            int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            o[l] = d * float(sc[is]) * float(q1);
            o[l + 32] = d * float(sc[is + 2]) * float(q2);
            o[l + 64] = d * float(sc[is + 4]) * float(q3);
            o[l + 96] = d * float(sc[is + 6]) * float(q4);
          }
      });
    default:
      throw_error(ErrorKind::unsupported,
                  std::string("dequantizing ") + ggml_type_name(type) + " is not supported yet");
  }
}

bool can_quantize(GgmlType t) {
  switch (t) {
    case GgmlType::f32:
    case GgmlType::f16:
    case GgmlType::bf16:
    case GgmlType::q4_0:
    case GgmlType::q4_1:
    case GgmlType::q5_0:
    case GgmlType::q5_1:
    case GgmlType::q8_0:
    case GgmlType::q4_k:
    case GgmlType::q5_k:
    case GgmlType::q6_k:
      return true;
    default:
      return false;
  }
}

void quantize_row(GgmlType type, const float* x, void* dst, int64_t n) {
  switch (type) {
    case GgmlType::f32:
      std::memcpy(dst, x, size_t(n) * 4);
      return;
    case GgmlType::f16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = f32_to_f16(x[i]);
      return;
    case GgmlType::bf16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = f32_to_bf16(x[i]);
      return;
    case GgmlType::q8_0: {
      BlockQ8_0* b = static_cast<BlockQ8_0*>(dst);
      for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        float amax = 0;
        for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::abs(x[j]));
        float d = amax / 127, id = d ? 1 / d : 0;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < kQK; ++j) b[i].qs[j] = int8_t(std::round(x[j] * id));
      }
      return;
    }
    case GgmlType::q4_0: {
      BlockQ4_0* b = static_cast<BlockQ4_0*>(dst);
      for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        float d = signed_absmax(x, kQK) / -8, id = d ? 1 / d : 0;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < kQK / 2; ++j) {
          int q0 = std::min(15, int(x[j] * id + 8.5f)),
              q1 = std::min(15, int(x[j + kQK / 2] * id + 8.5f));
          b[i].qs[j] = uint8_t(q0 | (q1 << 4));
        }
      }
      return;
    }
    case GgmlType::q4_1: {
      BlockQ4_1* b = static_cast<BlockQ4_1*>(dst);
      for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        float mn = *std::min_element(x, x + kQK), mx = *std::max_element(x, x + kQK);
        float d = (mx - mn) / 15, id = d ? 1 / d : 0;
        b[i].d = f32_to_f16(d);
        b[i].m = f32_to_f16(mn);
        for (int j = 0; j < kQK / 2; ++j) {
          int q0 = std::min(15, int((x[j] - mn) * id + 0.5f));
          int q1 = std::min(15, int((x[j + kQK / 2] - mn) * id + 0.5f));
          b[i].qs[j] = uint8_t(q0 | (q1 << 4));
        }
      }
      return;
    }
    case GgmlType::q5_0: {
      BlockQ5_0* b = static_cast<BlockQ5_0*>(dst);
      for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        float d = signed_absmax(x, kQK) / -16, id = d ? 1 / d : 0;
        b[i].d = f32_to_f16(d);
        uint32_t qh = 0;
        for (int j = 0; j < kQK / 2; ++j) {
          int q0 = std::min(31, int(x[j] * id + 16.5f)),
              q1 = std::min(31, int(x[j + kQK / 2] * id + 16.5f));
          b[i].qs[j] = uint8_t((q0 & 0xF) | ((q1 & 0xF) << 4));
          qh |= uint32_t((q0 & 0x10) >> 4) << j;
          qh |= uint32_t((q1 & 0x10) >> 4) << (j + kQK / 2);
        }
        std::memcpy(b[i].qh, &qh, 4);
      }
      return;
    }
    case GgmlType::q5_1: {
      BlockQ5_1* b = static_cast<BlockQ5_1*>(dst);
      for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        float mn = *std::min_element(x, x + kQK), mx = *std::max_element(x, x + kQK);
        float d = (mx - mn) / 31, id = d ? 1 / d : 0;
        b[i].d = f32_to_f16(d);
        b[i].m = f32_to_f16(mn);
        uint32_t qh = 0;
        for (int j = 0; j < kQK / 2; ++j) {
          int q0 = int((x[j] - mn) * id + 0.5f), q1 = int((x[j + kQK / 2] - mn) * id + 0.5f);
          b[i].qs[j] = uint8_t((q0 & 0xF) | ((q1 & 0xF) << 4));
          qh |= uint32_t((q0 & 0x10) >> 4) << j;
          qh |= uint32_t((q1 & 0x10) >> 4) << (j + kQK / 2);
        }
        std::memcpy(b[i].qh, &qh, 4);
      }
      return;
    }
    case GgmlType::q4_k:
      for (int64_t i = 0; i < n / kQKK; ++i)
        quantize_q4_k_block(x + i * kQKK, static_cast<BlockQ4_K*>(dst)[i]);
      return;
    case GgmlType::q5_k:
      for (int64_t i = 0; i < n / kQKK; ++i)
        quantize_q5_k_block(x + i * kQKK, static_cast<BlockQ5_K*>(dst)[i]);
      return;
    case GgmlType::q6_k:
      for (int64_t i = 0; i < n / kQKK; ++i)
        quantize_q6_k_block(x + i * kQKK, static_cast<BlockQ6_K*>(dst)[i]);
      return;
    default:
      throw_error(ErrorKind::unsupported,
                  std::string("quantizing to ") + ggml_type_name(type) + " is not supported yet");
  }
}

}  // namespace anymal::cpu
