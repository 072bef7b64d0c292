// The synthetic glasses world: procedurally drawn scenes of what smart glasses see (objects,
// produce, butterflies, buildings, signs, cards with phone numbers) with one question and an
// exact-match answer each, over twelve tasks (synth_tasks()). A sample is a pure function of
// (seed, split, index): the same triple gives the same bytes. Splits draw from disjoint seed
// streams, and train never contains the held-out (colour, class) pairs, so val/test measure
// compositional generalization on them (SynthSample::heldout marks those samples).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "formats/image.h"

namespace anymal::data {

enum class Split { train, val, test };
Split split_from_name(const std::string& name);  // throws invalid_input for others
const char* split_name(Split s);

const std::vector<std::string>& synth_tasks();
const std::vector<std::pair<std::string, std::string>>& heldout_pairs();  // (colour, class)

struct SynthSample {
  std::string task, question, answer;
  Image image;
  bool heldout = false;  // shows a held-out (colour, class) pair
};

// image_size: 80..256 (text objects need the width).
SynthSample synth_sample(uint64_t seed, Split split, int64_t index, int image_size = 96);

}  // namespace anymal::data
