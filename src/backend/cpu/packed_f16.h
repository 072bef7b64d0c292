// PackedF16: an f16 weight matrix with 16 rows interleaved, for decode-shaped matmuls (a few
// rows of x: one token per sequence of a batched step). Row by row, each of those dots ends in
// a horizontal sum, and a 4-row tile of x converts each weight vector once per 4 rows. Here one
// vector holds column j of 16 rows (one f32 lane per output row): it is converted once and
// multiplied by a broadcast x[i][j] for each of up to 8 rows of x, with no horizontal sums.
//
// Layout: groups of kPackRows rows (the last padded with zero rows), each `cols` columns of
// 16 f16 values: row r of group g, column j at group(g)[16·j + r].
// Packing copies: LlamaModel evicts the mapped pages it packed (as for PackedQ8).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/cpu/packed_buffer.h"
#include "backend/cpu/packed_q8.h"

namespace anymal::cpu {

class PackedF16 {
 public:
  // w: `rows` rows of `cols` f16 values, row-major.
  PackedF16(const uint16_t* w, int64_t rows, int64_t cols);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t groups() const { return (rows_ + kPackRows - 1) / kPackRows; }
  const uint16_t* group(int64_t g) const {
    return reinterpret_cast<const uint16_t*>(data_.get()) + g * cols_ * kPackRows;
  }
  size_t bytes() const { return size_t(groups() * cols_ * kPackRows) * 2; }

 private:
  int64_t rows_, cols_;
  PackedBuffer data_;
};

// Whether the active kernels run packed f16 matrices faster than rows (the AVX-512 ones); the
// others run them through the reference loops.
bool packing_f16_pays();

// y = x · Wᵀ: x [t, cols] f32, y [t, rows] f32, f32 arithmetic (the products of f16 weights
// and f32 activations, as the row kernels and the f32 GEMM compute them).
struct PackedF16Product {
  const PackedF16* w;
  float* y;
};
// Several matrices of the same cols applied to one x, in one parallel region.
void packed_f16_matmul(std::span<const PackedF16Product> products, const float* x, int64_t t);
inline void packed_f16_matmul(const PackedF16& w, const float* x, int64_t t, float* y) {
  const PackedF16Product p{&w, y};
  packed_f16_matmul({&p, 1}, x, t);
}

namespace reference {
// y[i·ldy + r] for the rows of groups [g0, g1) (r counted from the matrix's first row) and rows
// i0 ≤ i < i1 of x ([·, cols]): plain loops over the packed layout.
void packed_f16_dot(const PackedF16& w, int64_t g0, int64_t g1, const float* x, int64_t i0,
                    int64_t i1, float* y, int64_t ldy);
}  // namespace reference

}  // namespace anymal::cpu
