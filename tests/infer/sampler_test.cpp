#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "infer/sampler.h"

using namespace anymal;
using namespace anymal::infer;

namespace {
std::vector<float> logits_of(std::vector<double> probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(float(std::log(p)));
  return l;
}
std::map<int32_t, int> histogram(Sampler& s, const std::vector<float>& l, int n) {
  std::map<int32_t, int> h;
  for (int i = 0; i < n; ++i) h[s.sample(l.data(), int64_t(l.size()), {})]++;
  return h;
}
}  // namespace

TEST(Sampler, GreedyPicksTheArgmax) {
  Sampler s({0.0f});
  std::vector<float> l{0.1f, 3.0f, -2.0f, 2.9f};
  EXPECT_EQ(s.sample(l.data(), 4, {}), 1);
  SamplerOptions k1;
  k1.top_k = 1;
  Sampler t(k1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(t.sample(l.data(), 4, {}), 1);
}

TEST(Sampler, DrawsFromTheSoftmaxAndIsSeeded) {
  SamplerOptions o;
  o.temperature = 1.0f;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.min_p = 0.0f;
  o.seed = 11;
  std::vector<double> probs{0.5, 0.3, 0.15, 0.05};
  Sampler s(o);
  auto h = histogram(s, logits_of(probs), 20000);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(h[i] / 20000.0, probs[size_t(i)], 0.015) << i;
  Sampler a(o), b(o);
  auto l = logits_of(probs);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.sample(l.data(), 4, {}), b.sample(l.data(), 4, {}));
}

TEST(Sampler, TruncationsRemoveTheTail) {
  std::vector<double> probs{0.5, 0.3, 0.15, 0.05};
  SamplerOptions o;
  o.temperature = 1.0f;
  o.top_k = 0;
  o.min_p = 0.0f;
  o.top_p = 0.75f;  // keeps 0.5 + 0.3
  Sampler p(o);
  auto h = histogram(p, logits_of(probs), 3000);
  EXPECT_EQ(h.count(2) + h.count(3), 0u);
  EXPECT_GT(h[1], 800);
  o.top_p = 1.0f;
  o.min_p = 0.2f;  // floor 0.1: drops 0.05
  Sampler m(o);
  h = histogram(m, logits_of(probs), 3000);
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_GT(h[2], 200);
  o.min_p = 0;
  o.top_k = 2;
  Sampler k(o);
  h = histogram(k, logits_of(probs), 3000);
  EXPECT_EQ(h.size(), 2u);
}

TEST(Sampler, RepetitionPenaltyDiscouragesRecentTokens) {
  SamplerOptions o;
  o.temperature = 0.0f;
  o.repeat_penalty = 2.0f;
  Sampler s(o);
  std::vector<float> l{2.0f, 1.5f, -1.0f};
  EXPECT_EQ(s.sample(l.data(), 3, {}), 0);
  EXPECT_EQ(s.sample(l.data(), 3, {0, 0, 0}), 1);  // 2.0 / 2 = 1.0 < 1.5
  EXPECT_THROW(Sampler(SamplerOptions{0.8f, 40, 0.0f}), Error);
}
