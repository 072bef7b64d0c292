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

namespace {
// The pipeline written the obvious way, as the sampler was before its one-pass top-k: every
// candidate sorted (higher logit first, ties to the lower id), then the same truncations and
// draw. The oracle for the fast selection.
int32_t sample_by_full_sort(const SamplerOptions& o, Rng& rng, std::vector<float> l,
                            const std::vector<int32_t>& history) {
  const std::vector<float> raw = l;
  const size_t from =
      history.size() > size_t(o.repeat_last_n) ? history.size() - size_t(o.repeat_last_n) : 0;
  for (size_t i = from; i < history.size(); ++i) {
    float& v = l[size_t(history[i])];
    if (v == raw[size_t(history[i])]) v = v > 0 ? v / o.repeat_penalty : v * o.repeat_penalty;
  }
  struct C {
    int32_t id;
    float logit;
    float p;
  };
  std::vector<C> c;
  for (size_t i = 0; i < l.size(); ++i) c.push_back({int32_t(i), l[i], 0});
  std::sort(c.begin(), c.end(), [](const C& a, const C& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  });
  if (o.temperature <= 0) return c[0].id;
  size_t n = o.top_k > 0 ? std::min(c.size(), size_t(o.top_k)) : c.size();
  auto softmax = [&](float temperature) {
    double total = 0;
    for (size_t i = 0; i < n; ++i)
      total += c[i].p = std::exp((c[i].logit - c[0].logit) / temperature);
    for (size_t i = 0; i < n; ++i) c[i].p = float(c[i].p / total);
  };
  softmax(1.0f);
  if (o.top_p < 1.0f) {
    double cum = 0;
    size_t keep = n;
    for (size_t i = 0; i < n; ++i)
      if ((cum += c[i].p) >= o.top_p) {
        keep = i + 1;
        break;
      }
    n = keep;
    softmax(1.0f);
  }
  if (o.min_p > 0) {
    size_t keep = 1;
    while (keep < n && c[keep].p >= o.min_p * c[0].p) ++keep;
    n = keep;
  }
  softmax(o.temperature);
  double r = rng.uniform(), cum = 0;
  for (size_t i = 0; i < n; ++i)
    if (r < (cum += c[i].p)) return c[i].id;
  return c[n - 1].id;
}
}  // namespace

TEST(Sampler, OnePassTopKDrawsWhatAFullSortDraws) {
  Rng data(11);
  for (int setting = 0; setting < 6; ++setting) {
    SamplerOptions o;
    o.seed = uint64_t(setting);
    o.top_k = std::array{40, 1, 7, 0, 40, 2000}[setting];
    o.temperature = setting == 4 ? 0.0f : 0.8f + 0.2f * float(setting);
    o.top_p = setting == 2 ? 1.0f : 0.95f;
    o.min_p = setting == 3 ? 0.0f : 0.05f;
    o.repeat_penalty = setting % 2 ? 1.3f : 1.0f;
    Sampler fast(o);
    Rng oracle_rng(o.seed);
    for (int row = 0; row < 200; ++row) {
      const int64_t n = row % 3 == 0 ? 1024 : 37 + row;
      std::vector<float> l(static_cast<size_t>(n));
      // Logits on a coarse grid half the time: many ties, at the k-th value too.
      for (float& v : l) v = row % 2 ? std::round(2 * data.normal()) : 3 * data.normal();
      l[size_t(row) % l.size()] += 6;
      const std::vector<int32_t> history = {1, 5, 5, int32_t(n - 1)};
      ASSERT_EQ(fast.sample(l.data(), n, history), sample_by_full_sort(o, oracle_rng, l, history))
          << "setting " << setting << " row " << row;
    }
  }
}
