// PackedBF16 (16 rows interleaved by column pairs for vdpbf16ps). Oracle: the reference bf16
// row kernel (quant_matmul on the same rows, reference variant), which also rounds x to bf16
// and takes exact products: the two differ only in summation order.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_bf16.h"
#include "backend/cpu/quant_matmul.h"
#include "core/rng.h"
#include "core/thread_pool.h"

using namespace anymal;

namespace {

std::vector<uint16_t> random_bf16(Rng& rng, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (float& v : w) v = rng.normal(0.0f, 0.5f);
  std::vector<uint16_t> h(w.size());
  cpu::kernels_for(cpu::KernelVariant::reference).from_f32(DType::bf16, w.data(), h.data(), n);
  return h;
}

}  // namespace

// Partial groups (alone and second of a pair), odd column counts (a zero partner), x row counts
// on both sides of pairing (4) and of a tile (8), every variant, 1 and 2 threads.
TEST(PackedBF16, MatchesTheRowKernel) {
  Rng rng(6);
  struct Case {
    int64_t rows, k;
  };
  for (Case c : {Case{37, 96}, Case{5, 33}, Case{64, 256}, Case{48, 7}}) {
    const std::vector<uint16_t> w = random_bf16(rng, c.rows * c.k);
    const cpu::PackedBF16 packed(w.data(), c.rows, c.k);
    ASSERT_EQ(packed.groups(), (c.rows + 15) / 16);
    for (int64_t t : {1, 2, 3, 4, 5, 8, 11, 20, 70}) {
      std::vector<float> x(size_t(t * c.k));
      for (float& v : x) v = rng.normal();
      std::vector<float> ref(size_t(t * c.rows));
      {
        cpu::KernelVariantScope kv(cpu::KernelVariant::reference);
        cpu::quant_matmul(GgmlType::bf16, w.data(), c.rows, c.k, x.data(), t, ref.data());
      }
      float scale = 0;
      for (float v : ref) scale = std::max(scale, std::abs(v));
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        ThreadPoolScope scope(&pool);
        for (auto v : cpu::supported_variants()) {
          cpu::KernelVariantScope kv(v);
          std::vector<float> got(ref.size(), NAN);
          std::vector<uint16_t> xb;
          cpu::packed_bf16_matmul(packed, x.data(), t, got.data(), xb);
          for (size_t i = 0; i < ref.size(); ++i)
            ASSERT_NEAR(got[i], ref[i], 1e-5f * scale)
                << "rows=" << c.rows << " k=" << c.k << " t=" << t << " i=" << i << " "
                << cpu::variant_name(v) << " threads=" << threads;
        }
      }
    }
  }
}

// A padded last group writes nothing past the matrix's rows; one region over several matrices
// gives each its own product.
TEST(PackedBF16, PaddingAndSharedRegions) {
  Rng rng(4);
  const int64_t k = 64, t = 6;
  std::vector<std::vector<uint16_t>> w;
  std::vector<cpu::PackedBF16> packed;
  for (int64_t rows : {20, 16, 5}) {
    w.push_back(random_bf16(rng, rows * k));
    packed.emplace_back(w.back().data(), rows, k);
  }
  std::vector<float> x(size_t(t * k));
  for (float& v : x) v = rng.normal();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  std::vector<uint16_t> xb;
  std::vector<std::vector<float>> got, want;
  std::vector<cpu::PackedBF16Product> products;
  for (const cpu::PackedBF16& p : packed) {
    got.emplace_back(size_t(t * p.rows()) + 32, -7.0f);
    want.emplace_back(size_t(t * p.rows()) + 32, -7.0f);
    cpu::packed_bf16_matmul(p, x.data(), t, want.back().data(), xb);
  }
  for (float v : std::span(want[0]).subspan(size_t(t * 20))) EXPECT_EQ(v, -7.0f);
  for (size_t i = 0; i < packed.size(); ++i) products.push_back({&packed[i], got[i].data()});
  cpu::packed_bf16_matmul(products, x.data(), t, xb);
  for (size_t i = 0; i < packed.size(); ++i) EXPECT_EQ(got[i], want[i]) << "matrix " << i;
}
