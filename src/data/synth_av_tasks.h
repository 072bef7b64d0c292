// The synthetic world's listening and motion tasks, as question/answer samples like the image
// tasks: "what's that sound?" over the six sound classes, "what am I doing?" over the four
// activities, "did I nod or shake my head?" over the two gestures, and the image questions
// asked aloud (data/speech.h). A sample is a pure
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

// A scene of the image world (synth_sample, the same scene for the same arguments) with its
// question spoken instead of typed: task "spoken_" + the image task.
struct SpokenSample {
  SynthSample scene;
  std::string task;
  std::vector<float> audio;  // the question read aloud, in noise, 16 kHz
};

// Image, speech and motion at once: a scene, the wearer's motion, and a spoken question that
// is either the scene's (answered from the image) or about the motion (answered from the IMU),
// so the words decide which input holds the answer. Task "combined_" + the answering task.
struct CombinedSample {
  SynthSample scene;
  MotionSample motion;
  std::string task, question, answer;
  std::vector<float> audio;  // the question read aloud, in noise, 16 kHz
};

SoundSample synth_sound_sample(uint64_t seed, Split split, int64_t index);
CombinedSample synth_combined_sample(uint64_t seed, Split split, int64_t index, int image_size);
SpokenSample synth_spoken_sample(uint64_t seed, Split split, int64_t index, int image_size);
MotionSample synth_motion_sample(uint64_t seed, Split split, int64_t index);

}  // namespace anymal::data
