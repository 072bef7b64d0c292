// PackedQ8 (16 interleaved rows for the integer kernels). Oracle: the row-layout integer dot
// (reference::q8_dot_rows) on the same quantized activations: both compute exact int32 block dots
// and differ only in the order the float block terms are summed.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_q8.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/reference.h"
#include "core/rng.h"
#include "core/thread_pool.h"

using namespace anymal;

namespace {

struct Case {
  GgmlType type;
  int64_t rows, k;
};

}  // namespace

// Row counts that leave a partial group, x row counts that leave a partial tile of the 8 rows a
// decoded block serves, on every variant and with 1 and 2 threads.
TEST(PackedQ8, MatchesTheRowLayoutIntegerDot) {
  Rng rng(21);
  for (Case c : {Case{GgmlType::q4_0, 37, 96}, Case{GgmlType::q8_0, 37, 96},
                 Case{GgmlType::q4_0, 64, 256}, Case{GgmlType::q8_0, 5, 64}}) {
    std::vector<float> w(size_t(c.rows * c.k));
    for (float& v : w) v = rng.normal(0.0f, 0.5f);
    std::vector<uint8_t> q(ggml_row_bytes(c.type, c.rows * c.k));
    cpu::quantize_row(c.type, w.data(), q.data(), c.rows * c.k);
    const cpu::PackedQ8 packed(c.type, q.data(), c.rows, c.k);
    ASSERT_EQ(packed.groups(), (c.rows + 15) / 16);
    for (int64_t t : {1, 3, 8, 11, 20}) {
      std::vector<float> x(size_t(t * c.k));
      for (float& v : x) v = rng.normal();
      cpu::ActQ8 act;
      cpu::quantize_act_q8(c.type, x.data(), t, c.k, act);
      std::vector<float> ref(size_t(t * c.rows));
      cpu::reference::q8_dot_rows(c.type, q.data(), ggml_row_bytes(c.type, c.k), c.rows, act,
                                  ref.data(), c.rows);
      float scale = 0;
      for (float v : ref) scale = std::max(scale, std::abs(v));
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        ThreadPoolScope scope(&pool);
        for (auto v : cpu::supported_variants()) {
          cpu::KernelVariantScope kv(v);
          std::vector<float> got(ref.size(), NAN);
          cpu::ActQ8 scratch;
          cpu::packed_q8_matmul(packed, x.data(), t, got.data(), scratch);
          for (size_t i = 0; i < ref.size(); ++i)
            ASSERT_NEAR(got[i], ref[i], 1e-5f * scale)
                << ggml_type_name(c.type) << " rows=" << c.rows << " t=" << t << " i=" << i << " "
                << cpu::variant_name(v);
        }
      }
    }
  }
}

// A padded last group writes nothing past the matrix's rows (y is [t, rows], rows packed).
TEST(PackedQ8, PaddingRowsAreNotWritten) {
  Rng rng(3);
  const int64_t rows = 20, k = 64, t = 2;
  std::vector<float> w(size_t(rows * k)), x(size_t(t * k));
  for (float& v : w) v = rng.normal();
  for (float& v : x) v = rng.normal();
  std::vector<uint8_t> q(ggml_row_bytes(GgmlType::q4_0, rows * k));
  cpu::quantize_row(GgmlType::q4_0, w.data(), q.data(), rows * k);
  const cpu::PackedQ8 packed(GgmlType::q4_0, q.data(), rows, k);
  std::vector<float> y(size_t(t * rows) + 16, -7.0f);
  cpu::ActQ8 scratch;
  cpu::packed_q8_matmul(packed, x.data(), t, y.data(), scratch);
  for (size_t i = size_t(t * rows); i < y.size(); ++i) EXPECT_EQ(y[i], -7.0f);
}

// Every variant quantizes activations to the reference's bytes, ties included (a block whose
// amax is 127 has scale 1, so ±2.5 and ±3.5 are exact ties, rounded away from zero).
TEST(PackedQ8, ActivationQuantizationMatchesTheReferenceBitForBit) {
  Rng rng(8);
  const int64_t t = 3, k = 96;
  std::vector<float> x(size_t(t * k));
  for (float& v : x) v = rng.normal(0.0f, 3.0f);
  for (int j = 0; j < 32; ++j) x[size_t(j)] = float(j % 8) - 3.5f;
  x[5] = 127.0f;
  for (int j = 32; j < 64; ++j) x[size_t(j)] = 0.0f;  // an all-zero block: scale 0
  for (GgmlType type : {GgmlType::q4_0, GgmlType::q8_0}) {
    cpu::ActQ8 ref;
    {
      cpu::KernelVariantScope kv(cpu::KernelVariant::reference);
      cpu::quantize_act_q8(type, x.data(), t, k, ref);
    }
    EXPECT_EQ(ref.q[0], -4);  // -3.5
    EXPECT_EQ(ref.q[7], 4);   // 3.5
    for (auto v : cpu::supported_variants()) {
      cpu::KernelVariantScope kv(v);
      cpu::ActQ8 got;
      cpu::quantize_act_q8(type, x.data(), t, k, got);
      EXPECT_EQ(got.q, ref.q) << cpu::variant_name(v);
      EXPECT_EQ(got.d, ref.d) << cpu::variant_name(v);
      EXPECT_EQ(got.corr, ref.corr) << cpu::variant_name(v);
      EXPECT_EQ(got.block_corr, ref.block_corr) << cpu::variant_name(v);
    }
  }
}

// Several matrices on one x (quantized once) in one region: each result is the one of its own
// call.
TEST(PackedQ8, SharedRegionGivesEachMatrixItsOwnProduct) {
  Rng rng(10);
  const int64_t k = 64, t = 2;
  std::vector<std::vector<uint8_t>> q;
  std::vector<cpu::PackedQ8> packed;
  for (int64_t rows : {40, 16, 7}) {
    std::vector<float> w(size_t(rows * k));
    for (float& v : w) v = rng.normal();
    q.emplace_back(ggml_row_bytes(GgmlType::q8_0, rows * k));
    cpu::quantize_row(GgmlType::q8_0, w.data(), q.back().data(), rows * k);
    packed.emplace_back(GgmlType::q8_0, q.back().data(), rows, k);
  }
  std::vector<float> x(size_t(t * k));
  for (float& v : x) v = rng.normal();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  cpu::ActQ8 scratch;
  std::vector<std::vector<float>> got, want;
  std::vector<cpu::PackedQ8Product> products;
  for (const cpu::PackedQ8& p : packed) {
    got.emplace_back(size_t(t * p.rows()), NAN);
    want.emplace_back(size_t(t * p.rows()), NAN);
    cpu::packed_q8_matmul(p, x.data(), t, want.back().data(), scratch);
  }
  for (size_t i = 0; i < packed.size(); ++i) products.push_back({&packed[i], got[i].data()});
  cpu::packed_q8_matmul(products, x.data(), t, scratch);
  for (size_t i = 0; i < packed.size(); ++i) EXPECT_EQ(got[i], want[i]) << "matrix " << i;
}
