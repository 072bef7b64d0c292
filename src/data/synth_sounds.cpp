#include "data/synth_sounds.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace anymal::data {

namespace {

constexpr double kRate = 16000.0;
constexpr double kTwoPi = 2.0 * M_PI;

float between(Rng& rng, float lo, float hi) { return lo + (hi - lo) * rng.uniform(); }

// "ding-dong": two decaying bell tones (fundamental + inharmonic partials), a falling third.
void doorbell(std::vector<float>& x, Rng& rng) {
  const double f1 = between(rng, 600, 900), f2 = f1 * between(rng, 0.78f, 0.84f);
  const double t1 = between(rng, 0.05f, 0.3f), t2 = t1 + between(rng, 0.45f, 0.7f);
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / kRate;
    double v = 0;
    for (auto [start, f] : {std::pair{t1, f1}, std::pair{t2, f2}}) {
      if (t < start) continue;
      const double u = t - start, env = std::exp(-u * 3.0);
      v += env * (std::sin(kTwoPi * f * u) + 0.4 * std::sin(kTwoPi * 2.76 * f * u) +
                  0.2 * std::sin(kTwoPi * 5.4 * f * u));
    }
    x[i] += float(0.4 * v);
  }
}

// A wail: one tone sweeping up and down between ~600 and ~1300 Hz every 1-2 s.
void siren(std::vector<float>& x, Rng& rng) {
  const double lo = between(rng, 550, 750), hi = between(rng, 1100, 1400);
  const double period = between(rng, 0.8f, 2.0f), phase0 = rng.uniform();
  double phase = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / kRate;
    const double f = lo + (hi - lo) * (0.5 - 0.5 * std::cos(kTwoPi * (t / period + phase0)));
    phase += kTwoPi * f / kRate;
    x[i] += float(0.5 * (std::sin(phase) + 0.3 * std::sin(3 * phase)));
  }
}

// Beeps: a 2-4 kHz square-ish tone, on and off at 4-8 Hz.
void alarm(std::vector<float>& x, Rng& rng) {
  const double f = between(rng, 2000, 4000), rate = between(rng, 4, 8);
  const double duty = between(rng, 0.4f, 0.6f);
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / kRate;
    if (std::fmod(t * rate, 1.0) > duty) continue;
    const double s = std::sin(kTwoPi * f * t);
    x[i] += float(0.35 * (s > 0 ? 1.0 : -1.0) * std::min(1.0, std::abs(s) * 4));
  }
}

// Rain: broadband noise, gently low-passed, with random droplet clicks.
void rain(std::vector<float>& x, Rng& rng) {
  const float smooth = between(rng, 0.2f, 0.6f), drops = between(rng, 20, 80);
  float y = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    y = smooth * y + (1 - smooth) * rng.normal();
    x[i] += 0.25f * y;
    if (rng.uniform() < drops / kRate)  // a drop: a short decaying click
      for (size_t k = 0; k < 80 && i + k < x.size(); ++k)
        x[i + k] += float(0.5 * std::exp(-double(k) / 12.0) * rng.normal());
  }
}

// An engine: a 25-60 Hz fundamental and its harmonics, throbbing slowly.
void engine(std::vector<float>& x, Rng& rng) {
  const double f = between(rng, 25, 60), throb = between(rng, 0.5f, 3.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / kRate;
    double v = 0;
    for (int h = 1; h <= 8; ++h) v += std::sin(kTwoPi * f * h * t + h) / h;
    x[i] += float(0.35 * v * (0.8 + 0.2 * std::sin(kTwoPi * throb * t)));
  }
}

// Barks: 1-3 short bursts of a harsh, falling 300-700 Hz voice.
void dog(std::vector<float>& x, Rng& rng) {
  const int n = 1 + int(rng.below(3));
  double start = between(rng, 0.05f, 0.3f);
  for (int b = 0; b < n && start < double(x.size()) / kRate - 0.3; ++b) {
    const double len = between(rng, 0.12f, 0.25f), f0 = between(rng, 300, 700);
    double phase = 0;
    const size_t i0 = size_t(start * kRate), n_i = size_t(len * kRate);
    for (size_t k = 0; k < n_i && i0 + k < x.size(); ++k) {
      const double u = double(k) / double(n_i);
      phase += kTwoPi * f0 * (1.0 - 0.35 * u) / kRate;
      double v = 0;
      for (int h = 1; h <= 6; ++h) v += std::sin(h * phase) / h;
      const double env = std::sin(M_PI * u) * std::exp(-2 * u);
      x[i0 + k] += float(0.6 * env * (v + 0.4 * rng.normal()));
    }
    start += len + between(rng, 0.1f, 0.35f);
  }
}

}  // namespace

const std::vector<std::string>& sound_classes() {
  static const std::vector<std::string> k = {"doorbell", "siren", "alarm", "rain", "engine", "dog"};
  return k;
}

std::vector<float> synth_sound(const std::string& cls, uint64_t seed, const SoundOptions& o) {
  const auto& classes = sound_classes();
  const auto it = std::find(classes.begin(), classes.end(), cls);
  if (it == classes.end())
    throw_error(ErrorKind::invalid_input, "unknown sound class '" + cls + "'");
  Rng rng(seed * 0x9E3779B97F4A7C15ull + uint64_t(it - classes.begin()) + 1);
  std::vector<float> x(size_t(o.seconds * kRate), 0.0f);
  switch (it - classes.begin()) {
    case 0:
      doorbell(x, rng);
      break;
    case 1:
      siren(x, rng);
      break;
    case 2:
      alarm(x, rng);
      break;
    case 3:
      rain(x, rng);
      break;
    case 4:
      engine(x, rng);
      break;
    default:
      dog(x, rng);
      break;
  }
  // Background noise at a random SNR, then a random level with the peak at most 0.9.
  double power = 0;
  for (float v : x) power += double(v) * v;
  power /= double(x.size());
  const double snr_db = between(rng, o.snr_db_min, o.snr_db_max);
  const float noise = float(std::sqrt(power / std::pow(10.0, snr_db / 10.0)));
  float peak = 1e-6f;
  for (float& v : x) {
    v += noise * rng.normal();
    peak = std::max(peak, std::abs(v));
  }
  const float gain = between(rng, 0.3f, 0.9f) / peak;
  for (float& v : x) v *= gain;
  return x;
}

}  // namespace anymal::data
