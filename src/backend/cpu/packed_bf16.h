// PackedBF16: a bf16 weight matrix with 16 rows interleaved by column pairs, for the AVX512-BF16
// dot instruction: one vdpbf16ps multiplies a pair of columns of 16 rows (one f32 lane per
// output row, its two bf16 values side by side) by a broadcast pair of x, for each of up to 8
// rows of x. As ggml does for bf16 weights, x is rounded to bf16 first; products are exact and
// summed in f32. No horizontal sums; each weight vector is loaded once per 8 rows of x, so the
// same kernel serves decode, batched decode and prefill (at twice the f32 FMA rate).
//
// Layout: groups of kPackRows rows (the last padded with zero rows), each (cols + 1) / 2
// pairs of 16 × 2 bf16: row r of group g, column j at group(g)[32·(j / 2) + 2·r + j % 2] (an odd
// last column is paired with a zero). Packing copies: LlamaModel evicts the mapped pages.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/cpu/packed_buffer.h"
#include "backend/cpu/packed_q8.h"

namespace anymal::cpu {

class PackedBF16 {
 public:
  // w: `rows` rows of `cols` bf16 values, row-major.
  PackedBF16(const uint16_t* w, int64_t rows, int64_t cols);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t pairs() const { return (cols_ + 1) / 2; }
  int64_t groups() const { return (rows_ + kPackRows - 1) / kPackRows; }
  const uint16_t* group(int64_t g) const {
    return reinterpret_cast<const uint16_t*>(data_.get()) + g * pairs() * 2 * kPackRows;
  }
  size_t bytes() const { return size_t(groups() * pairs() * 2 * kPackRows) * 2; }

 private:
  int64_t rows_, cols_;
  PackedBuffer data_;
};

// Whether packed bf16 matrices run faster than rows here: AVX-512 with the BF16 dot
// instruction. Elsewhere bf16 matrices stay as rows (their kernels widen both sides).
bool packing_bf16_pays();

struct PackedBF16Product {
  const PackedBF16* w;
  float* y;  // [t, w->rows()]
};
// y = x · Wᵀ for each product (matrices of the same cols), x [t, cols] f32 rounded to bf16
// pairs into xb (kept by the caller across calls), in one parallel region.
void packed_bf16_matmul(std::span<const PackedBF16Product> products, const float* x, int64_t t,
                        std::vector<uint16_t>& xb);
inline void packed_bf16_matmul(const PackedBF16& w, const float* x, int64_t t, float* y,
                               std::vector<uint16_t>& xb) {
  const PackedBF16Product p{&w, y};
  packed_bf16_matmul({&p, 1}, x, t, xb);
}

namespace reference {
// y[i·ldy + r] for the rows of groups [g0, g1) and rows i0 ≤ i < i1 of xb ([·, 2·pairs] bf16,
// the pairs as packed_bf16_matmul lays them): plain loops over the packed layout.
void packed_bf16_dot(const PackedBF16& w, int64_t g0, int64_t g1, const uint16_t* xb, int64_t i0,
                     int64_t i1, float* y, int64_t ldy);
}  // namespace reference

}  // namespace anymal::cpu
