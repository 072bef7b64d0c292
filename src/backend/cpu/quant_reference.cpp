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
    default:
      throw_error(ErrorKind::unsupported,
                  std::string("quantizing to ") + ggml_type_name(type) + " is not supported yet");
  }
}

}  // namespace anymal::cpu
