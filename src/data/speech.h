// Spoken questions for the synthetic world: the question read aloud by espeak-ng (Debian's
// espeak-ng, run as a subprocess with arguments, no shell) in one of several accents and voice
// variants at a random speed and pitch, then mixed with background noise at a random SNR, as
// the glasses' microphone hears the wearer. A clip is a pure function of (text, seed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace anymal::data {

struct Voice {
  std::string name;  // espeak-ng voice with variant, e.g. "en-us+f3"
  int words_per_minute = 160;
  int pitch = 50;  // 0..99
};

Voice pick_voice(uint64_t seed);
// 16 kHz mono samples of `text` read by espeak-ng; io error naming the problem when espeak-ng
// is missing or fails.
std::vector<float> speak(const std::string& text, const Voice& voice);
// speak() with pick_voice(seed), in noise at 10..30 dB SNR (drawn from seed).
std::vector<float> spoken_question(const std::string& text, uint64_t seed);

}  // namespace anymal::data
