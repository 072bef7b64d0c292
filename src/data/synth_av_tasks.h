// The synthetic world's listening and motion tasks, as question/answer samples like the image
// tasks: "what's that sound?" over the six sound classes, "what am I doing?" over the four
// activities and "did I nod or shake my head?" over the two gestures. A sample is a pure
// function of (seed, split, index); splits draw from disjoint seed streams, and classes come in
// turn so every split is balanced.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/synth_motion.h"
#include "data/synth_world.h"

namespace anymal::data {

struct SoundSample {
  std::string task = "sound", question, answer, cls;
  std::vector<float> audio;  // 16 kHz mono
};
struct MotionSample {
  std::string task, question, answer, cls;  // task: "activity" or "gesture"
  MotionTrace trace;
};

SoundSample synth_sound_sample(uint64_t seed, Split split, int64_t index);
MotionSample synth_motion_sample(uint64_t seed, Split split, int64_t index);

}  // namespace anymal::data
