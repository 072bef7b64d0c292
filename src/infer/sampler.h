// Token sampling from logits, in llama.cpp's default order: repetition penalty, top-k, top-p,
// min-p, temperature, then a seeded draw. temperature <= 0 is greedy (argmax; ties to the lower
// id). Top-k selects its candidates in three passes over the vocabulary (a radix select on the
// distance below the maximum), then sorts only them. The buffers are allocated once, so sampling
// allocates nothing per token.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace anymal::infer {

struct SamplerOptions {
  float temperature = 0.8f;
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off
  int32_t repeat_last_n = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& opt);
  // `history`: tokens so far (the last repeat_last_n are penalized).
  int32_t sample(const float* logits, int64_t n_vocab, const std::vector<int32_t>& history);

 private:
  struct Candidate {
    int32_t id;
    float logit;
    float p;
  };
  // Fills cand_ with the k highest logits of work_ (ties to the lower id), sorted.
  void select_top(int64_t k);

  SamplerOptions opt_;
  Rng rng_;
  std::vector<float> work_;  // the logits after the repetition penalty
  std::vector<Candidate> cand_;
};

}  // namespace anymal::infer
