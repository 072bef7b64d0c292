// PackedF16 and PackedBF16 (16 interleaved rows of 16-bit weights for the packed kernels).
// Oracle: the reference row kernel (quant_matmul on the same rows, reference variant): f16
// products of f32 x, or bf16 products of x rounded to bf16 as ggml takes it; the packed
// kernels differ only in summation order.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_bf16.h"
#include "backend/cpu/packed_f16.h"
#include "backend/cpu/quant_matmul.h"
#include "core/rng.h"
#include "core/thread_pool.h"

using namespace anymal;

namespace {

// What differs between the two layouts, for one set of typed tests.
struct F16 {
  using Packed = cpu::PackedF16;
  using Product = cpu::PackedF16Product;
  static constexpr GgmlType type = GgmlType::f16;
  static constexpr DType dtype = DType::f16;
  static void matmul(std::span<const Product> p, const float* x, int64_t t) {
    cpu::packed_f16_matmul(p, x, t);
  }
};
struct BF16 {
  using Packed = cpu::PackedBF16;
  using Product = cpu::PackedBF16Product;
  static constexpr GgmlType type = GgmlType::bf16;
  static constexpr DType dtype = DType::bf16;
  static void matmul(std::span<const Product> p, const float* x, int64_t t) {
    std::vector<uint16_t> xb;
    cpu::packed_bf16_matmul(p, x, t, xb);
  }
};

template <class H>
std::vector<uint16_t> random_weights(Rng& rng, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (float& v : w) v = rng.normal(0.0f, 0.5f);
  std::vector<uint16_t> h(w.size());
  cpu::kernels_for(cpu::KernelVariant::reference).from_f32(H::dtype, w.data(), h.data(), n);
  return h;
}

template <class H>
void multiply(const typename H::Packed& p, const float* x, int64_t t, float* y) {
  const typename H::Product product{&p, y};
  H::matmul({&product, 1}, x, t);
}

template <class H>
class PackedHalf : public ::testing::Test {};
using Layouts = ::testing::Types<F16, BF16>;
TYPED_TEST_SUITE(PackedHalf, Layouts);

}  // namespace

// Partial groups (alone and as the second of a pair), column counts that are odd or not a
// multiple of the unrolling, x row counts on both sides of the 4 rows that pair groups and of
// the 8 each tile takes; every variant, 1 and 2 threads.
TYPED_TEST(PackedHalf, MatchesTheRowKernel) {
  using H = TypeParam;
  Rng rng(5);
  struct Case {
    int64_t rows, k;
  };
  for (Case c : {Case{37, 96}, Case{5, 33}, Case{64, 256}, Case{48, 7}}) {
    const std::vector<uint16_t> w = random_weights<H>(rng, c.rows * c.k);
    const typename H::Packed packed(w.data(), c.rows, c.k);
    ASSERT_EQ(packed.groups(), (c.rows + 15) / 16);
    for (int64_t t : {1, 2, 3, 4, 5, 8, 11, 20, 70}) {
      std::vector<float> x(size_t(t * c.k));
      for (float& v : x) v = rng.normal();
      std::vector<float> ref(size_t(t * c.rows));
      {
        cpu::KernelVariantScope kv(cpu::KernelVariant::reference);
        cpu::quant_matmul(H::type, w.data(), c.rows, c.k, x.data(), t, ref.data());
      }
      float scale = 0;
      for (float v : ref) scale = std::max(scale, std::abs(v));
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        ThreadPoolScope scope(&pool);
        for (auto v : cpu::supported_variants()) {
          cpu::KernelVariantScope kv(v);
          std::vector<float> got(ref.size(), NAN);
          multiply<H>(packed, x.data(), t, got.data());
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
TYPED_TEST(PackedHalf, PaddingRowsAreNotWritten) {
  using H = TypeParam;
  Rng rng(3);
  const int64_t rows = 20, k = 64;
  const std::vector<uint16_t> w = random_weights<H>(rng, rows * k);
  const typename H::Packed packed(w.data(), rows, k);
  for (int64_t t : {1, 6}) {
    std::vector<float> x(size_t(t * k));
    for (float& v : x) v = rng.normal();
    for (auto v : cpu::supported_variants()) {
      cpu::KernelVariantScope kv(v);
      std::vector<float> y(size_t(t * rows) + 32, -7.0f);
      multiply<H>(packed, x.data(), t, y.data());
      for (size_t i = size_t(t * rows); i < y.size(); ++i)
        ASSERT_EQ(y[i], -7.0f) << cpu::variant_name(v) << " t=" << t;
    }
  }
}

// Several matrices on one x in one region (q/k/v): each result is the one of its own call, with
// a chunk of groups spanning two matrices (2 threads, 8 chunks over 3 + 1 + 1 groups).
TYPED_TEST(PackedHalf, SharedRegionGivesEachMatrixItsOwnProduct) {
  using H = TypeParam;
  Rng rng(9);
  const int64_t k = 48, t = 3;
  std::vector<std::vector<uint16_t>> w;
  std::vector<typename H::Packed> packed;
  for (int64_t rows : {37, 16, 5}) {
    w.push_back(random_weights<H>(rng, rows * k));
    packed.emplace_back(w.back().data(), rows, k);
  }
  std::vector<float> x(size_t(t * k));
  for (float& v : x) v = rng.normal();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  std::vector<std::vector<float>> got, want;
  std::vector<typename H::Product> products;
  for (const typename H::Packed& p : packed) {
    got.emplace_back(size_t(t * p.rows()), NAN);
    want.emplace_back(size_t(t * p.rows()), NAN);
    multiply<H>(p, x.data(), t, want.back().data());
  }
  for (size_t i = 0; i < packed.size(); ++i) products.push_back({&packed[i], got[i].data()});
  H::matmul(products, x.data(), t);
  for (size_t i = 0; i < packed.size(); ++i) EXPECT_EQ(got[i], want[i]) << "matrix " << i;
}
