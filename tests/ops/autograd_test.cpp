#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "ops/ops.h"

using namespace anymal;
using namespace anymal::ops;

TEST(Autograd, GradientsAccumulateOnLeaves) {
  Tensor x = Tensor::from_floats({1, 2, 3}, Shape{3}).set_requires_grad();
  // y = Σ x² + Σ 3x  -> dy/dx = 2x + 3 ; x used twice
  Tensor y = add(sum_all(mul(x, x)), sum_all(scale(x, 3)));
  autograd::backward(y);
  EXPECT_EQ(x.grad().to_floats(), (std::vector<float>{5, 7, 9}));
  autograd::backward(add(sum_all(mul(x, x)), sum_all(scale(x, 3))));  // accumulates
  EXPECT_EQ(x.grad().to_floats(), (std::vector<float>{10, 14, 18}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor x = Tensor::from_floats({1, 2}, Shape{2}).set_requires_grad();
  Tensor y;
  {
    autograd::NoGrad ng;
    y = mul(x, x);
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_THROW(autograd::backward(sum_all(y)), Error);
  EXPECT_TRUE(sum_all(mul(x, x)).requires_grad());
}

TEST(Autograd, FlowsThroughViewsAndFrozenInputs) {
  Tensor w = Tensor::from_floats({1, 2, 3, 4, 5, 6}, Shape{2, 3}).set_requires_grad();
  Tensor frozen = Tensor::from_floats({1, 1, 1, 1, 1, 1}, Shape{3, 2});
  Tensor y = sum_all(mul(transpose(w, 0, 1), frozen));
  autograd::backward(y);
  EXPECT_EQ(w.grad().to_floats(), (std::vector<float>(6, 1.0f)));
  EXPECT_FALSE(frozen.grad().defined());
  // slice: gradient lands only in the sliced range
  Tensor v = Tensor::from_floats({1, 2, 3, 4}, Shape{4}).set_requires_grad();
  autograd::backward(sum_all(slice(v, 0, 1, 3)));
  EXPECT_EQ(v.grad().to_floats(), (std::vector<float>{0, 1, 1, 0}));
}

TEST(Autograd, Bf16ComputeReachesF32MasterWeights) {
  Tensor w = Tensor::from_floats({0.5f, -1, 2, 0.25f}, Shape{2, 2}).set_requires_grad();
  Tensor x = Tensor::from_floats({1, 2}, Shape{1, 2});
  Tensor y = matmul(cast(x, DType::bf16), cast(w, DType::bf16), false, true);
  EXPECT_EQ(y.dtype(), DType::f32);
  autograd::backward(sum_all(y));
  EXPECT_EQ(w.grad().dtype(), DType::f32);
  EXPECT_EQ(w.grad().to_floats(), (std::vector<float>{1, 2, 1, 2}));
}

TEST(Autograd, NonScalarNeedsExplicitGradient) {
  Tensor x = Tensor::from_floats({1, 2}, Shape{2}).set_requires_grad();
  EXPECT_THROW(autograd::backward(mul(x, x)), Error);
  autograd::backward(mul(x, x), Tensor::from_floats({1, 1}, Shape{2}));
  EXPECT_EQ(x.grad().to_floats(), (std::vector<float>{2, 4}));
}
