// Rng: a seeded, reproducible generator (xoshiro256**, seeded through splitmix64).
// The same seed gives the same stream on every machine; state can be saved for resume.
#pragma once

#include <array>
#include <cstdint>

#include "core/tensor.h"

namespace anymal {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  uint64_t next_u64();
  float uniform();                              // [0, 1)
  float normal(float mean = 0, float std = 1);  // Box-Muller
  uint64_t below(uint64_t n);                   // [0, n), n > 0

  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<uint64_t, 4> s_;
};

// Fresh f32 tensors filled from `rng`.
Tensor randn(const Shape& shape, Rng& rng, float std = 1.0f, float mean = 0.0f);
Tensor rand_uniform(const Shape& shape, Rng& rng, float lo, float hi);

}  // namespace anymal
