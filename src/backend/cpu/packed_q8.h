// PackedQ8: a q4_0 or q8_0 weight matrix re-laid for the integer dot kernels, as llama.cpp's CPU
// "repack" buffers do. Row by row, a kernel needs a horizontal sum and two scalar f16 scale
// conversions per block pair, and is bound by them, not by memory. Here 16 rows are interleaved:
// one 512-bit vpdpbusd multiplies a 4-value slice of each of the 16 rows (one int32 lane per
// output row) with one broadcast 4-value slice of x, the 16 scales are one vector conversion,
// and one weight load serves several rows of x.
//
// Layout: groups of kPackRows rows (the last padded with zero rows, scale 0), each holding, for
// every 32-value block in order: the rows' 16 f16 scales, then the values in 4-byte chunks,
// chunk-major and row-minor (chunk c of row r at 32 + 64c + 4r):
//   q8_0: 8 chunks, chunk c = int8 values 4c..4c+3;
//   q4_0: 4 chunks, chunk c = ggml's bytes 4c..4c+3 (low nibbles: values 4c.., high: 16+4c..).
// Packing copies: a packed model is not used from the file mapping (LlamaModel evicts the
// mapped pages it packed, so the resident size stays that of the file).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_buffer.h"
#include "core/ggml_types.h"

namespace anymal::cpu {

inline constexpr int64_t kPackRows = 16;

class PackedQ8 {
 public:
  // w: `rows` ggml rows of `cols` values of `type`; can_pack_q8(type, cols) must hold.
  PackedQ8(GgmlType type, const uint8_t* w, int64_t rows, int64_t cols);

  GgmlType type() const { return type_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t groups() const { return (rows_ + kPackRows - 1) / kPackRows; }
  int64_t blocks() const { return cols_ / 32; }
  // Bytes of one block of one group: the scales, then the chunks.
  int64_t block_bytes() const { return 32 + 64 * (type_ == GgmlType::q4_0 ? 4 : 8); }
  const uint8_t* group(int64_t g) const { return data_.get() + g * blocks() * block_bytes(); }
  size_t bytes() const { return size_t(groups() * blocks() * block_bytes()); }

 private:
  GgmlType type_;
  int64_t rows_, cols_;
  PackedBuffer data_;
};

bool can_pack_q8(GgmlType type, int64_t cols);
// Whether the active kernels decode packed matrices faster than rows (the AVX-512 VNNI ones);
// the others run them through the reference loops.
bool packing_q8_pays();

// y = x · Wᵀ, y: [t, rows] f32, from a packed matrix (decode and prefill alike: x is quantized
// to q8_0 blocks, as ggml does for these types).
struct PackedQ8Product {
  const PackedQ8* w;
  float* y;
};
// Several matrices of the same type and cols applied to one x (quantized once), in one
// parallel region.
void packed_q8_matmul(std::span<const PackedQ8Product> products, const float* x, int64_t t,
                      ActQ8& scratch);
inline void packed_q8_matmul(const PackedQ8& w, const float* x, int64_t t, float* y,
                             ActQ8& scratch) {
  const PackedQ8Product p{&w, y};
  packed_q8_matmul({&p, 1}, x, t, scratch);
}

namespace reference {
// y[i·ldy + r] for the rows of groups [g0, g1) (r counted from the matrix's first row) and rows
// i0 ≤ i < i1 of x: plain loops over the packed layout.
void packed_q8_dot(const PackedQ8& w, int64_t g0, int64_t g1, const ActQ8& x, int64_t i0,
                   int64_t i1, float* y, int64_t ldy);
}  // namespace reference

}  // namespace anymal::cpu
