// The Whisper-shaped encoder for audio and IMU: shapes and errors, Whisper's sinusoidal
// positions, and that it trains (a two-class signal task learned in a few AdamW steps).
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/backward.h"
#include "core/error.h"
#include "nn/linear.h"
#include "nn/sequence_encoder.h"
#include "ops/ops.h"
#include "train/adamw.h"

using namespace anymal;

namespace {

// A small IMU-sized encoder: 6 channels in, 16 wide, 2 heads.
nn::SequenceEncoderConfig small(int64_t n_layer, int64_t max_positions) {
  nn::SequenceEncoderConfig c;
  c.n_in = 6;
  c.dim = 16;
  c.n_layer = n_layer;
  c.n_head = 2;
  c.ff = 32;
  c.max_positions = max_positions;
  return c;
}

}  // namespace

TEST(SequenceEncoder, ShapesPositionsAndErrors) {
  Rng rng(1);
  nn::SequenceEncoder enc(small(2, 8), rng);
  EXPECT_EQ(enc.forward(randn({2, 15, 6}, rng)).shape(), (Shape{2, 8, 16}));
  EXPECT_EQ(enc.forward(randn({1, 4, 6}, rng)).shape(), (Shape{1, 2, 16}));
  EXPECT_THROW(enc.forward(randn({1, 17, 6}, rng)), Error);  // 9 positions > 8
  EXPECT_THROW(enc.forward(randn({1, 10, 5}, rng)), Error);  // wrong channel count
  // Whisper's sinusoids: sin(t * 10000^(-i / (half - 1))) then cos of the same.
  Tensor pos = nn::sinusoid_positions(3, 8);
  const float* p = pos.data<float>();
  EXPECT_FLOAT_EQ(p[0], 0.0f);                                                 // sin(0)
  EXPECT_FLOAT_EQ(p[4], 1.0f);                                                 // cos(0)
  EXPECT_FLOAT_EQ(p[8 + 0], float(std::sin(1.0)));                             // t=1, i=0
  EXPECT_FLOAT_EQ(p[16 + 3], float(std::sin(2.0 * std::pow(10000.0, -1.0))));  // t=2, i=3
  EXPECT_FLOAT_EQ(p[16 + 7], float(std::cos(2.0 * std::pow(10000.0, -1.0))));
  // Positions are fixed: not among the trainable parameters.
  for (const Tensor& t : enc.trainable_parameters())
    EXPECT_NE(t.shape(), (Shape{8, 16})) << "the positions are trainable";
}

TEST(SequenceEncoder, LearnsToTellTwoSignalsApart) {
  Rng rng(3);
  nn::SequenceEncoder enc(small(1, 16), rng);
  nn::Linear head(16, 2, true, rng);
  // Class 0: a slow sine on channel 0 (walking); class 1: a fast one on channel 3 (nodding).
  std::vector<float> xs;
  std::vector<int32_t> ys;
  for (int b = 0; b < 8; ++b) {
    const int y = b % 2;
    for (int t = 0; t < 20; ++t)
      for (int ch = 0; ch < 6; ++ch) {
        float v = 0.1f * rng.normal();
        if (y == 0 && ch == 0) v += std::sin(0.3f * t + b);
        if (y == 1 && ch == 3) v += std::sin(1.5f * t + b);
        xs.push_back(v);
      }
    ys.push_back(y);
  }
  Tensor x = Tensor::from_floats(xs, Shape{8, 20, 6}), y = Tensor::from_ints(ys, Shape{8});
  std::vector<Tensor> params = enc.trainable_parameters();
  for (const Tensor& t : head.trainable_parameters()) params.push_back(t);
  train::AdamWOptions ao;
  ao.lr = 3e-3f;
  ao.weight_decay = 0;
  train::AdamW opt(params, ao);
  float first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    Tensor pooled = ops::mean(enc.forward(x), 1);
    Tensor loss = ops::cross_entropy(head.forward(pooled), y);
    if (step == 0) first = loss.item();
    last = loss.item();
    opt.zero_grad();
    autograd::backward(loss);
    opt.step();
  }
  EXPECT_LT(last, 0.25f * first) << "first " << first << " last " << last;
}
