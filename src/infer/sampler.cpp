#include "infer/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace anymal::infer {

Sampler::Sampler(const SamplerOptions& opt) : opt_(opt), rng_(opt.seed) {
  if (opt.top_p <= 0 || opt.repeat_penalty <= 0)
    throw_error(ErrorKind::invalid_input, "sampler: top_p and repeat_penalty must be positive");
}

int32_t Sampler::sample(const float* logits, int64_t n_vocab, const std::vector<int32_t>& history) {
  if (n_vocab <= 0) throw_error(ErrorKind::invalid_input, "sampler: empty vocabulary");
  cand_.resize(size_t(n_vocab));  // allocates on the first call only
  for (int64_t i = 0; i < n_vocab; ++i) cand_[size_t(i)] = {int32_t(i), logits[i], 0.0f};
  if (opt_.repeat_penalty != 1.0f) {
    size_t from = history.size() > size_t(std::max(0, opt_.repeat_last_n))
                      ? history.size() - size_t(opt_.repeat_last_n)
                      : 0;
    for (size_t i = from; i < history.size(); ++i) {
      int32_t t = history[i];
      if (t < 0 || t >= n_vocab) continue;
      float& l = cand_[size_t(t)].logit;
      if (l == logits[t])
        l = l > 0 ? l / opt_.repeat_penalty : l * opt_.repeat_penalty;  // once per id
    }
  }
  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (opt_.temperature <= 0) return std::min_element(cand_.begin(), cand_.end(), by_logit)->id;

  size_t n = cand_.size();
  if (opt_.top_k > 0 && size_t(opt_.top_k) < n) {
    std::partial_sort(cand_.begin(), cand_.begin() + opt_.top_k, cand_.end(), by_logit);
    n = size_t(opt_.top_k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
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
