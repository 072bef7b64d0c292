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
  // More questions about the same scene with their answers (colour, position, count,
  // existence; phrased as those tasks are), when asked for: one image teaches several answers.
  std::vector<std::pair<std::string, std::string>> follow_ups;
  Image image;
  bool heldout = false;  // shows a held-out (colour, class) pair
};

// image_size: 80..256 (text objects need the width). questions: 1 + the follow-ups wanted
// (fewer when the scene has fewer to ask); the scene and first question do not depend on it.
SynthSample synth_sample(uint64_t seed, Split split, int64_t index, int image_size = 96,
                         int questions = 1);

}  // namespace anymal::data
