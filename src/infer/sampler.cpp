#include "infer/sampler.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"

namespace anymal::infer {

Sampler::Sampler(const SamplerOptions& opt) : opt_(opt), rng_(opt.seed) {
  if (opt.top_p <= 0 || opt.repeat_penalty <= 0)
    throw_error(ErrorKind::invalid_input, "sampler: top_p and repeat_penalty must be positive");
}

namespace {
// Higher logit first; ties to the lower id (a total order for non-NaN logits).
bool before(int32_t a_id, float a, int32_t b_id, float b) {
  return a > b || (a == b && a_id < b_id);
}
}  // namespace

void Sampler::select_top(int64_t k) {
  const int64_t n = int64_t(work_.size());
  cand_.clear();
  if (k >= n) {
    for (int64_t i = 0; i < n; ++i) cand_.push_back({int32_t(i), work_[size_t(i)], 0.0f});
  } else {
    // A radix-select: each logit's bucket is its distance below the maximum, in steps of 1/8
    // (monotone: a higher logit never lands in a later bucket), the last bucket taking the
    // rest. Buckets before the one where the count reaches k are in; of that one, the highest
    // logits (ties to the lower id) up to k. Three passes over the vocabulary and a sort of a
    // few candidates, instead of a k-heap that mispredicts on every entry.
    constexpr int kBuckets = 256;
    constexpr float kPerUnit = 8.0f;
    const float* w = work_.data();
    // Independent lanes: the compiler vectorizes them, and no one chain of max or increments
    // serializes the passes.
    std::array<float, 8> lane;
    lane.fill(w[0]);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; ++j)
        lane[size_t(j)] = lane[size_t(j)] < w[i + j] ? w[i + j] : lane[size_t(j)];
    float top = lane[0];
    for (float v : lane) top = std::max(top, v);
    for (; i < n; ++i) top = std::max(top, w[i]);
    auto distance = [&](float v) { return (top - v) * kPerUnit; };  // NaN: never below a cut
    std::array<std::array<int64_t, kBuckets>, 4> counts{};
    for (i = 0; i < n; ++i) {
      const float d = distance(w[i]);
      ++counts[size_t(i & 3)][d < float(kBuckets - 1) ? size_t(d) : size_t(kBuckets - 1)];
    }
    int cut = 0;
    int64_t above = 0;  // logits in the buckets before `cut`
    auto count = [&](int b) {
      return counts[0][size_t(b)] + counts[1][size_t(b)] + counts[2][size_t(b)] +
             counts[3][size_t(b)];
    };
    while (above + count(cut) < k) above += count(cut++);
    // Bucket <= cut is distance < cut + 1 (the last bucket takes everything).
    const float limit = cut == kBuckets - 1 ? INFINITY : float(cut + 1);
    for (i = 0; i < n; ++i)
      if (distance(w[i]) < limit || cut == kBuckets - 1) cand_.push_back({int32_t(i), w[i], 0.0f});
    // cand_ holds those `above` and the cut bucket's: sorted, its first k are the full order's.
  }
  std::sort(cand_.begin(), cand_.end(), [](const Candidate& a, const Candidate& b) {
    return before(a.id, a.logit, b.id, b.logit);
  });
  if (int64_t(cand_.size()) > k) cand_.resize(size_t(k));
}

int32_t Sampler::sample(const float* logits, int64_t n_vocab, const std::vector<int32_t>& history) {
  if (n_vocab <= 0) throw_error(ErrorKind::invalid_input, "sampler: empty vocabulary");
  work_.assign(logits, logits + n_vocab);  // allocates on the first call only
  if (opt_.repeat_penalty != 1.0f) {
    size_t from = history.size() > size_t(std::max(0, opt_.repeat_last_n))
                      ? history.size() - size_t(opt_.repeat_last_n)
                      : 0;
    for (size_t i = from; i < history.size(); ++i) {
      int32_t t = history[i];
      if (t < 0 || t >= n_vocab) continue;
      float& l = work_[size_t(t)];
      if (l == logits[t])
        l = l > 0 ? l / opt_.repeat_penalty : l * opt_.repeat_penalty;  // once per id
    }
  }
  if (opt_.temperature <= 0) {
    int64_t best = 0;
    for (int64_t i = 1; i < n_vocab; ++i)
      if (work_[size_t(i)] > work_[size_t(best)]) best = i;
    return int32_t(best);
  }
  select_top(opt_.top_k > 0 ? std::min<int64_t>(opt_.top_k, n_vocab) : n_vocab);
  size_t n = cand_.size();
  auto softmax = [&](float temperature) {
    float mx = cand_[0].logit;
    double total = 0;
    for (size_t i = 0; i < n; ++i)
      total += cand_[i].p = std::exp((cand_[i].logit - mx) / temperature);
    for (size_t i = 0; i < n; ++i) cand_[i].p = float(cand_[i].p / total);
  };
  softmax(1.0f);
  if (opt_.top_p < 1.0f) {
    double cum = 0;
    size_t keep = n;
    for (size_t i = 0; i < n; ++i) {
      cum += cand_[i].p;
      if (cum >= opt_.top_p) {
        keep = i + 1;
        break;
      }
    }
    n = keep;
    softmax(1.0f);
  }
  if (opt_.min_p > 0) {
    float floor = opt_.min_p * cand_[0].p;
    size_t keep = 1;
    while (keep < n && cand_[keep].p >= floor) ++keep;
    n = keep;
  }
  softmax(opt_.temperature);
  double r = rng_.uniform(), cum = 0;
  for (size_t i = 0; i < n; ++i) {
    cum += cand_[i].p;
    if (r < cum) return cand_[i].id;
  }
  return cand_[n - 1].id;
}

}  // namespace anymal::infer
