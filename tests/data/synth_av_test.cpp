// The synthetic world's sounds and motions: deterministic per (class, seed), read back through
// the real readers (WAV through libsndfile, CSV through formats/imu), and learnable: a nearest-
// centroid classifier on simple features (time-averaged log-mel; rotation-invariant motion
// statistics) tells held-out seeds apart, so an encoder has a signal to learn.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "core/error.h"
#include "data/speech.h"
#include "data/synth_av_tasks.h"
#include "data/synth_motion.h"
#include "data/synth_sounds.h"
#include "formats/audio.h"
#include "formats/imu.h"
#include "formats/log_mel.h"

using namespace anymal;
using namespace anymal::data;

namespace {

using Features = std::vector<double>;

// Per-class centroids of standardized features from seeds [0, n_train); accuracy on the next
// n_test seeds.
double nearest_centroid_accuracy(const std::vector<std::string>& classes,
                                 const std::function<Features(const std::string&, uint64_t)>& f,
                                 int n_train, int n_test) {
  std::map<std::string, std::vector<Features>> train, test;
  for (const auto& c : classes)
    for (int s = 0; s < n_train + n_test; ++s)
      (s < n_train ? train : test)[c].push_back(f(c, uint64_t(s)));
  const size_t d = train.begin()->second[0].size();
  Features mean(d, 0), sd(d, 0);
  double n = 0;
  for (auto& [c, xs] : train)
    for (auto& x : xs) {
      for (size_t i = 0; i < d; ++i) mean[i] += x[i];
      n += 1;
    }
  for (double& m : mean) m /= n;
  for (auto& [c, xs] : train)
    for (auto& x : xs)
      for (size_t i = 0; i < d; ++i) sd[i] += (x[i] - mean[i]) * (x[i] - mean[i]);
  for (double& s : sd) s = std::sqrt(s / n) + 1e-9;
  auto z = [&](Features x) {
    for (size_t i = 0; i < d; ++i) x[i] = (x[i] - mean[i]) / sd[i];
    return x;
  };
  std::map<std::string, Features> centroid;
  for (auto& [c, xs] : train) {
    Features m(d, 0);
    for (auto& x : xs) {
      Features zx = z(x);
      for (size_t i = 0; i < d; ++i) m[i] += zx[i] / double(xs.size());
    }
    centroid[c] = m;
  }
  int right = 0, total = 0;
  for (auto& [c, xs] : test)
    for (auto& x : xs) {
      Features zx = z(x);
      std::string best;
      double best_d = INFINITY;
      for (auto& [k, m] : centroid) {
        double dist = 0;
        for (size_t i = 0; i < d; ++i) dist += (zx[i] - m[i]) * (zx[i] - m[i]);
        if (dist < best_d) best_d = dist, best = k;
      }
      right += best == c;
      ++total;
    }
  return double(right) / total;
}

Features sound_features(const std::string& cls, uint64_t seed) {
  // Through a 16-bit WAV and libsndfile, as a file on disk would come.
  Audio a = decode_audio(encode_wav(synth_sound(cls, seed), kAudioSampleRate), cls);
  LogMel mel = log_mel_spectrogram(a.samples);
  Features f;
  for (int64_t m = 0; m < mel.n_mels; m += 2) {  // mean and spread over time of each band
    double s = 0, sq = 0;
    for (int64_t t = 0; t < mel.n_frames; ++t) s += mel.data[size_t(m * mel.n_frames + t)];
    s /= double(mel.n_frames);
    for (int64_t t = 0; t < mel.n_frames; ++t)
      sq += std::pow(mel.data[size_t(m * mel.n_frames + t)] - s, 2);
    f.push_back(s);
    f.push_back(std::sqrt(sq / double(mel.n_frames)));
  }
  return f;
}

// The strongest frequency in 0.5..6 Hz of a signal sampled at `rate`.
double dominant_hz(const std::vector<double>& x, double rate) {
  double mean = 0;
  for (double v : x) mean += v / double(x.size());
  double best = 0, best_p = -1;
  for (double hz = 0.5; hz <= 6.0; hz += 0.05) {
    double s = 0, c = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      s += (x[i] - mean) * std::sin(2 * M_PI * hz * double(i) / rate);
      c += (x[i] - mean) * std::cos(2 * M_PI * hz * double(i) / rate);
    }
    if (s * s + c * c > best_p) best_p = s * s + c * c, best = hz;
  }
  return best;
}

Features motion_features(const std::string& cls, uint64_t seed) {
  ImuTrace tr = read_imu(motion_csv(synth_motion(cls, seed)), cls);  // through the CSV reader
  std::vector<double> a, g;
  double gz = 0, gall = 0;
  for (int64_t i = 0; i < tr.n; ++i) {
    const float* v = tr.data.data() + i * kImuChannels;
    a.push_back(std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
    g.push_back(std::sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5]));
    gz += v[5] * v[5];
    gall += v[3] * v[3] + v[4] * v[4] + v[5] * v[5];
  }
  auto stats = [](const std::vector<double>& x) {
    double m = 0, sq = 0;
    for (double v : x) m += v / double(x.size());
    for (double v : x) sq += (v - m) * (v - m) / double(x.size());
    return std::pair{m, std::sqrt(sq)};
  };
  auto [am, as] = stats(a);
  auto [gm, gs] = stats(g);
  return {am,
          std::log(as + 1e-3),
          gm,
          std::log(gs + 1e-3),
          gz / (gall + 1e-9),
          dominant_hz(a, tr.rate_hz),
          dominant_hz(g, tr.rate_hz)};
}

}  // namespace

TEST(SynthSounds, DeterministicPerSeedAndBounded) {
  for (const auto& c : sound_classes()) {
    std::vector<float> x = synth_sound(c, 5), y = synth_sound(c, 5), z = synth_sound(c, 6);
    EXPECT_EQ(x, y) << c;
    EXPECT_NE(x, z) << c;
    ASSERT_EQ(x.size(), 32000u);
    float peak = 0;
    for (float v : x) peak = std::max(peak, std::abs(v));
    EXPECT_LE(peak, 0.9f + 1e-6f) << c;
    EXPECT_GT(peak, 0.25f) << c;
  }
  EXPECT_THROW(synth_sound("thunder", 1), Error);
}

TEST(SynthSounds, HeldOutSeedsAreTellableApartFromTheLogMel) {
  const double acc = nearest_centroid_accuracy(sound_classes(), sound_features, 24, 16);
  RecordProperty("accuracy", std::to_string(acc));
  EXPECT_GE(acc, 0.9);
}

TEST(SynthMotion, DeterministicMonotonicAndReadable) {
  for (const auto& c : motion_classes()) {
    MotionTrace a = synth_motion(c, 3), b = synth_motion(c, 3);
    EXPECT_EQ(a.values, b.values) << c;
    ASSERT_EQ(a.t.size(), 200u);
    for (size_t i = 1; i < a.t.size(); ++i) ASSERT_GT(a.t[i], a.t[i - 1]) << c;
    ImuTrace tr = read_imu(motion_csv(a), c);
    EXPECT_EQ(tr.n, int64_t(std::floor((a.t.back() - a.t.front()) * 50 + 1e-9)) + 1) << c;
  }
  EXPECT_THROW(synth_motion("swim", 1), Error);
}

TEST(SynthMotion, HeldOutSeedsAreTellableApartFromSimpleStatistics) {
  const double acc = nearest_centroid_accuracy(motion_classes(), motion_features, 30, 20);
  RecordProperty("accuracy", std::to_string(acc));
  EXPECT_GE(acc, 0.9);
}

TEST(SynthAvTasks, BalancedDeterministicAndSplitsDiffer) {
  std::map<std::string, int> sounds, motions;
  for (int64_t i = 0; i < 12; ++i) {
    SoundSample s = synth_sound_sample(7, Split::train, i);
    ++sounds[s.answer];
    EXPECT_EQ(s.task, "sound");
    EXPECT_FALSE(s.question.empty());
    MotionSample m = synth_motion_sample(7, Split::train, i);
    ++motions[m.answer];
    EXPECT_EQ(m.task, m.cls == "nod" || m.cls == "shake" ? "gesture" : "activity");
    if (m.task == "gesture") EXPECT_EQ(m.question, "Did I nod or shake my head?");
  }
  EXPECT_EQ(sounds.size(), 6u);
  for (auto& [answer, n] : sounds) EXPECT_EQ(n, 2) << answer;
  EXPECT_EQ(motions.size(), 6u);
  EXPECT_EQ(motions.at("climbing stairs"), 2);
  EXPECT_EQ(synth_sound_sample(7, Split::train, 3).audio,
            synth_sound_sample(7, Split::train, 3).audio);
  EXPECT_NE(synth_sound_sample(7, Split::train, 3).audio,
            synth_sound_sample(7, Split::test, 3).audio);
  EXPECT_NE(synth_motion_sample(7, Split::train, 3).trace.values,
            synth_motion_sample(7, Split::val, 3).trace.values);
}

TEST(SynthSpeech, SpeaksTheQuestionInVariedVoicesDeterministically) {
  const std::string q = "What colour is the car?";
  const std::vector<float> a = data::spoken_question(q, 1), b = data::spoken_question(q, 1);
  EXPECT_EQ(a, b);  // a pure function of (text, seed)
  const double seconds = double(a.size()) / kAudioSampleRate;
  EXPECT_GT(seconds, 0.6);
  EXPECT_LT(seconds, 4.0);
  float peak = 0;
  for (float x : a) peak = std::max(peak, std::abs(x));
  EXPECT_GT(peak, 0.05f);
  EXPECT_LE(peak, 0.9f + 1e-6f);
  // Other seeds: other voices (accent, variant, speed, pitch), so other clips.
  std::set<std::string> voices;
  for (uint64_t s = 0; s < 12; ++s) voices.insert(data::pick_voice(s).name);
  EXPECT_GE(voices.size(), 6u);
  EXPECT_NE(data::spoken_question(q, 2), a);
  // The spoken sample is the image scene of the same arguments, its question read aloud.
  const data::SpokenSample s = data::synth_spoken_sample(1, data::Split::test, 3, 80);
  const data::SynthSample scene = data::synth_sample(1, data::Split::test, 3, 80);
  EXPECT_EQ(s.scene.question, scene.question);
  EXPECT_EQ(s.task, "spoken_" + scene.task);
  EXPECT_FALSE(s.audio.empty());
}
