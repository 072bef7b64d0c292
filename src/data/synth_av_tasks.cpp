#include "data/synth_av_tasks.h"

#include <map>

#include "core/rng.h"
#include "data/speech.h"
#include "data/synth_sounds.h"

namespace anymal::data {

namespace {

// Disjoint streams per split and modality (the image world mixes its seeds the same way).
uint64_t sample_seed(uint64_t seed, Split split, int64_t index, uint64_t modality) {
  return seed * 0x9E3779B97F4A7C15ull + (uint64_t(split) + 1) * 0xD1B54A32D192ED03ull +
         uint64_t(index) * 0xA24BAED4963EE407ull + modality * 0x94D049BB133111EBull;
}

template <size_t N>
const std::string& pick(Rng& rng, const std::string (&options)[N]) {
  return options[rng.below(N)];
}

}  // namespace

SoundSample synth_sound_sample(uint64_t seed, Split split, int64_t index) {
  static const std::string kQuestions[] = {"What's that sound?", "What do you hear?",
                                           "What is making that noise?"};
  static const std::map<std::string, std::string> kAnswers = {
      {"doorbell", "a doorbell"}, {"siren", "a siren"},    {"alarm", "an alarm"},
      {"rain", "rain"},           {"engine", "an engine"}, {"dog", "a dog barking"}};
  const uint64_t s = sample_seed(seed, split, index, 1);
  Rng rng(s);
  SoundSample out;
  out.cls = sound_classes()[size_t(index) % sound_classes().size()];
  out.question = pick(rng, kQuestions);
  out.answer = kAnswers.at(out.cls);
  out.audio = synth_sound(out.cls, s);
  return out;
}

SpokenSample synth_spoken_sample(uint64_t seed, Split split, int64_t index, int image_size) {
  SpokenSample out;
  out.scene = synth_sample(seed, split, index, image_size);
  out.task = "spoken_" + out.scene.task;
  out.audio = spoken_question(out.scene.question, sample_seed(seed, split, index, 3));
  return out;
}

MotionSample synth_motion_sample(uint64_t seed, Split split, int64_t index) {
  static const std::string kActivityQuestions[] = {"What am I doing?", "What is my activity?"};
  static const std::map<std::string, std::string> kAnswers = {
      {"walk", "walking"},        {"run", "running"},
      {"sit", "sitting"},         {"stairs", "climbing stairs"},
      {"nod", "you nodded: yes"}, {"shake", "you shook your head: no"}};
  const uint64_t s = sample_seed(seed, split, index, 2);
  Rng rng(s);
  MotionSample out;
  out.cls = motion_classes()[size_t(index) % motion_classes().size()];
  const bool gesture = out.cls == "nod" || out.cls == "shake";
  out.task = gesture ? "gesture" : "activity";
  out.question = gesture ? "Did I nod or shake my head?" : pick(rng, kActivityQuestions);
  out.answer = kAnswers.at(out.cls);
  out.trace = synth_motion(out.cls, s);
  return out;
}

}  // namespace anymal::data

namespace anymal::data {

CombinedSample synth_combined_sample(uint64_t seed, Split split, int64_t index, int image_size) {
  CombinedSample out;
  out.scene = synth_sample(seed, split, index, image_size);
  out.motion = synth_motion_sample(seed, split, index);
  // Alternate which input answers, so both halves stay balanced within a split.
  const bool about_motion = (index / 12) % 2 == 1;  // image tasks cycle with period 12
  out.question = about_motion ? out.motion.question : out.scene.question;
  out.answer = about_motion ? out.motion.answer : out.scene.answer;
  out.task = "combined_" + (about_motion ? out.motion.task : out.scene.task);
  out.audio = spoken_question(out.question, sample_seed(seed, split, index, 4));
  return out;
}

}  // namespace anymal::data
