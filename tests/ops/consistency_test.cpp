// Op consistency (the llama.cpp test-backend-ops idea): every op case runs forward and
// backward under every kernel variant this CPU supports and every input dtype, and must match
// the reference kernels on the same inputs within the case's tolerance.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/backward.h"
#include "backend/cpu/kernels.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "op_cases.h"
#include "ops/view.h"

using namespace anymal;

namespace {

struct CaseRun {
  std::vector<std::vector<float>> arrays;  // output, then each input's gradient
};

CaseRun run_case(const testkit::OpCase& c, DType dtype, cpu::KernelVariant variant) {
  cpu::KernelVariantScope kernels(variant);
  Rng rng(99);
  std::vector<Tensor> inputs;
  for (const Shape& s : c.inputs) {
    Tensor x = randn(s, rng);
    if (dtype != DType::f32) {
      autograd::NoGrad ng;
      x = ops::contiguous(ops::cast(x, dtype));
    }
    inputs.push_back(x.set_requires_grad());
  }
  Tensor out = c.fn(inputs);
  std::vector<float> cot(static_cast<size_t>(out.numel()));
  for (float& v : cot) v = rng.normal();
  autograd::backward(out, Tensor::from_floats(cot, out.shape()));
  CaseRun r;
  r.arrays.push_back(out.to_floats());
  for (const Tensor& x : inputs) r.arrays.push_back(x.grad().to_floats());
  return r;
}

}  // namespace

class OpConsistency : public ::testing::TestWithParam<testkit::OpCase> {};

TEST_P(OpConsistency, MatchesReference) {
  const testkit::OpCase& c = GetParam();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  for (DType dtype : {DType::f32, DType::f16, DType::bf16}) {
    CaseRun ref = run_case(c, dtype, cpu::KernelVariant::reference);
    float tol = dtype == DType::f32 ? c.tol_f32 : c.tol_16;
    for (cpu::KernelVariant v : cpu::supported_variants()) {
      if (v == cpu::KernelVariant::reference) continue;
      CaseRun got = run_case(c, dtype, v);
      ASSERT_EQ(got.arrays.size(), ref.arrays.size());
      for (size_t a = 0; a < ref.arrays.size(); ++a) {
        const auto &r = ref.arrays[a], &g = got.arrays[a];
        ASSERT_EQ(r.size(), g.size());
        float scale = 1e-6f, err = 0;
        for (size_t i = 0; i < r.size(); ++i) {
          scale = std::max(scale, std::abs(r[i]));
          err = std::max(err, std::abs(r[i] - g[i]));
          ASSERT_FALSE(std::isnan(g[i])) << "NaN in " << c.name;
        }
        EXPECT_LE(err / scale, tol)
            << c.name << " " << cpu::variant_name(v) << " " << dtype_name(dtype)
            << (a == 0 ? " output" : " grad of input ") << (a == 0 ? "" : std::to_string(a - 1));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, OpConsistency, ::testing::ValuesIn(testkit::op_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(OpConsistency, EveryVariantIsExercised) {
  // This machine must at least run reference and scalar; CI's (AVX-512) runs all four.
  EXPECT_GE(cpu::supported_variants().size(), 2u);
  EXPECT_EQ(cpu::supported_variants().front(), cpu::KernelVariant::reference);
}

// AdamW is not an op but a kernel whose bits matter: a resumed run must equal an uninterrupted
// one. Each variant gives the same bits on 1 and 2 threads, and the reference's values to
// within the rounding of a fused multiply-add (odd length: vector body and tail).
TEST(OpConsistency, AdamWFollowsTheReferenceWithBitsIndependentOfThreads) {
  const int64_t n = 4099;
  Rng rng(5);
  std::vector<float> p0(n), m0(n), v0(n), g(n);
  for (int64_t i = 0; i < n; ++i) {
    p0[size_t(i)] = rng.normal();
    m0[size_t(i)] = 0.1f * rng.normal();
    v0[size_t(i)] = 0.01f * std::abs(rng.normal());
    g[size_t(i)] = i % 97 == 0 ? 0.0f : rng.normal();
  }
  const cpu::AdamWParams k{1e-3f / 0.1f, std::sqrt(0.002f), 1.0f - 1e-3f * 0.01f, 0.9f, 0.999f,
                           1e-8f};
  struct State {
    std::vector<float> p, m, v;
  };
  auto run = [&](cpu::KernelVariant variant, int threads) {
    ThreadPool pool(threads);
    ThreadPoolScope scope(&pool);
    State s{p0, m0, v0};
    for (int step = 0; step < 3; ++step)
      cpu::kernels_for(variant).adamw(s.p.data(), s.m.data(), s.v.data(), g.data(), n, k);
    return s;
  };
  const State want = run(cpu::KernelVariant::reference, 1);
  EXPECT_NE(want.p, p0);
  for (cpu::KernelVariant variant : cpu::supported_variants()) {
    const State one = run(variant, 1), two = run(variant, 2);
    EXPECT_EQ(one.p, two.p);
    EXPECT_EQ(one.m, two.m);
    EXPECT_EQ(one.v, two.v);
    for (int64_t i = 0; i < n; ++i) {
      const size_t j = size_t(i);
      // A few ulps of the terms (~0.1 for m, ~0.01 for v, ~1 for p), which may cancel.
      ASSERT_NEAR(one.m[j], want.m[j], 1e-6f * (std::abs(want.m[j]) + 0.1f)) << i;
      ASSERT_NEAR(one.v[j], want.v[j], 1e-6f * (std::abs(want.v[j]) + 0.01f)) << i;
      ASSERT_NEAR(one.p[j], want.p[j], 1e-6f * (std::abs(want.p[j]) + 1.0f)) << i;
    }
  }
}
