// PackedF16 (16 interleaved f16 rows for the decode kernels). Oracle: the reference row kernel
// (quant_matmul on the same f16 rows, reference variant): both compute f32 products of the same
// widened weights and differ only in summation order.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_f16.h"
#include "backend/cpu/quant_matmul.h"
#include "core/rng.h"
#include "core/thread_pool.h"

using namespace anymal;

namespace {

std::vector<uint16_t> random_f16(Rng& rng, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (float& v : w) v = rng.normal(0.0f, 0.5f);
  std::vector<uint16_t> h(w.size());
  cpu::kernels_for(cpu::KernelVariant::reference).from_f32(DType::f16, w.data(), h.data(), n);
  return h;
}

}  // namespace

// Row counts that leave a partial group (alone, and as the second of a pair), column counts
// that are not a multiple of the unrolling, x row counts on both sides of the 4 rows that pair
// groups and of the 8 each tile takes; every variant, 1 and 2 threads.
TEST(PackedF16, MatchesTheRowKernel) {
  Rng rng(5);
  struct Case {
    int64_t rows, k;
  };
  for (Case c : {Case{37, 96}, Case{5, 33}, Case{64, 256}, Case{48, 7}}) {
    const std::vector<uint16_t> w = random_f16(rng, c.rows * c.k);
    const cpu::PackedF16 packed(w.data(), c.rows, c.k);
    ASSERT_EQ(packed.groups(), (c.rows + 15) / 16);
    for (int64_t t : {1, 2, 3, 4, 5, 8, 11, 20, 70}) {
      std::vector<float> x(size_t(t * c.k));
      for (float& v : x) v = rng.normal();
      std::vector<float> ref(size_t(t * c.rows));
      {
        cpu::KernelVariantScope kv(cpu::KernelVariant::reference);
        cpu::quant_matmul(GgmlType::f16, w.data(), c.rows, c.k, x.data(), t, ref.data());
      }
      float scale = 0;
      for (float v : ref) scale = std::max(scale, std::abs(v));
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        ThreadPoolScope scope(&pool);
        for (auto v : cpu::supported_variants()) {
          cpu::KernelVariantScope kv(v);
          std::vector<float> got(ref.size(), NAN);
          cpu::packed_f16_matmul(packed, x.data(), t, got.data());
          for (size_t i = 0; i < ref.size(); ++i)
            ASSERT_NEAR(got[i], ref[i], 1e-5f * scale)
                << "rows=" << c.rows << " k=" << c.k << " t=" << t << " i=" << i << " "
                << cpu::variant_name(v) << " threads=" << threads;
        }
      }
    }
  }
}

// A padded last group writes nothing past the matrix's rows (y is [t, rows], rows packed).
TEST(PackedF16, PaddingRowsAreNotWritten) {
  Rng rng(3);
  const int64_t rows = 20, k = 64;
  const std::vector<uint16_t> w = random_f16(rng, rows * k);
  const cpu::PackedF16 packed(w.data(), rows, k);
  for (int64_t t : {1, 6}) {
    std::vector<float> x(size_t(t * k));
    for (float& v : x) v = rng.normal();
    for (auto v : cpu::supported_variants()) {
      cpu::KernelVariantScope kv(v);
      std::vector<float> y(size_t(t * rows) + 32, -7.0f);
      cpu::packed_f16_matmul(packed, x.data(), t, y.data());
      for (size_t i = size_t(t * rows); i < y.size(); ++i)
        ASSERT_EQ(y[i], -7.0f) << cpu::variant_name(v) << " t=" << t;
    }
  }
}

// Several matrices on one x in one region (q/k/v): each result is the one of its own call, with
// a chunk of groups spanning two matrices (2 threads, 8 chunks over 3 + 1 + 1 groups).
TEST(PackedF16, SharedRegionGivesEachMatrixItsOwnProduct) {
  Rng rng(9);
  const int64_t k = 48, t = 3;
  std::vector<std::vector<uint16_t>> w;
  std::vector<cpu::PackedF16> packed;
  for (int64_t rows : {37, 16, 5}) {
    w.push_back(random_f16(rng, rows * k));
    packed.emplace_back(w.back().data(), rows, k);
  }
  std::vector<float> x(size_t(t * k));
  for (float& v : x) v = rng.normal();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  std::vector<std::vector<float>> got, want;
  std::vector<cpu::PackedF16Product> products;
  for (const cpu::PackedF16& p : packed) {
    got.emplace_back(size_t(t * p.rows()), NAN);
    want.emplace_back(size_t(t * p.rows()), NAN);
    cpu::packed_f16_matmul(p, x.data(), t, want.back().data());
  }
  for (size_t i = 0; i < packed.size(); ++i) products.push_back({&packed[i], got[i].data()});
  cpu::packed_f16_matmul(products, x.data(), t);
  for (size_t i = 0; i < packed.size(); ++i) EXPECT_EQ(got[i], want[i]) << "matrix " << i;
}
