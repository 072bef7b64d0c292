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
