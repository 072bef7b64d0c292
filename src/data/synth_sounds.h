// Ambient sounds of the synthetic glasses world, synthesized procedurally at 16 kHz: what the
// wearer hears and may ask about ("what's that sound?"). Six classes with the traits a
// listener (or an encoder) tells them apart by; every clip varies pitch, timing and level and
// sits in background noise at a random SNR. A clip is a pure function of (class, seed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace anymal::data {

// "doorbell", "siren", "alarm", "rain", "engine", "dog": the answers of the sound task.
const std::vector<std::string>& sound_classes();

struct SoundOptions {
  double seconds = 2.0;
  float snr_db_min = 5.0f, snr_db_max = 25.0f;  // background noise, drawn per clip
};

// Mono samples at 16 kHz, peak at most 0.9. Throws invalid_input for an unknown class.
std::vector<float> synth_sound(const std::string& cls, uint64_t seed, const SoundOptions& o = {});

}  // namespace anymal::data
