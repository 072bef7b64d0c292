// Finite-difference gradient check of every op in the case table (f32, default kernels).
#include <gtest/gtest.h>

#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "op_cases.h"

using namespace anymal;

class Gradcheck : public ::testing::TestWithParam<testkit::OpCase> {};

TEST_P(Gradcheck, gradcheck) {
  const testkit::OpCase& c = GetParam();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(123);
  std::vector<Tensor> inputs;
  for (const Shape& s : c.inputs) inputs.push_back(randn(s, rng).set_requires_grad());
  autograd::GradcheckResult r = autograd::gradcheck(c.fn, inputs);
  EXPECT_TRUE(r.ok()) << c.name << ": worst " << r.worst << " at " << r.where;
}

INSTANTIATE_TEST_SUITE_P(Ops, Gradcheck, ::testing::ValuesIn(testkit::op_cases()),
                         [](const auto& info) { return "gradcheck_" + info.param.name; });
