// Audio and motion in: Whisper's log-mel front end against PyTorch (tests/fixtures/torch/
// log_mel.bin, torch.stft with librosa's Slaney filters), WAV/FLAC/OGG through libsndfile with
// mixing down and resampling to 16 kHz, the documented bounds (channels, rates, 30 s), and the
// IMU CSV reader's resampling, normalization and every error it names.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "formats/audio.h"
#include "formats/imu.h"
#include "formats/log_mel.h"
#include "nn/torch_fixture.h"
#include "temp_dir.h"

using namespace anymal;

namespace {

std::vector<float> sine(double hz, int rate, double seconds, double amp = 0.5) {
  std::vector<float> x(size_t(std::lround(rate * seconds)));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(amp * std::sin(2 * M_PI * hz * double(i) / rate));
  return x;
}

// The amplitude of the `hz` component (projection on sin/cos), away from the edges.
double amplitude_at(const std::vector<float>& x, double hz, int rate) {
  double s = 0, c = 0;
  const size_t lo = x.size() / 10, hi = x.size() - x.size() / 10;
  for (size_t i = lo; i < hi; ++i) {
    s += x[i] * std::sin(2 * M_PI * hz * double(i) / rate);
    c += x[i] * std::cos(2 * M_PI * hz * double(i) / rate);
  }
  return 2 * std::hypot(s, c) / double(hi - lo);
}

void expect_error(std::span<const uint8_t> bytes, const std::string& part) {
  try {
    decode_audio(bytes, "clip.wav");
    ADD_FAILURE() << "no error, expected '" << part << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("clip.wav"), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(LogMel, MatchesWhisperFrontEndInTorch) {
  testkit::Fixture fx = testkit::load_torch_fixture("log_mel");
  const Tensor& audio = fx.at("audio");
  std::vector<float> samples(audio.data<float>(), audio.data<float>() + audio.numel());
  // Through a 16-bit WAV and libsndfile: the fixture's samples are 16-bit values already.
  Audio a = decode_audio(encode_wav(samples, 16000, 1), "fixture.wav");
  ASSERT_EQ(a.samples.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) ASSERT_EQ(a.samples[i], samples[i]) << i;

  const std::vector<float> filters = mel_filters({});
  ASSERT_EQ(int64_t(filters.size()), fx.at("filters").numel());
  Tensor got_filters = Tensor::from_floats(filters, fx.at("filters").shape());
  EXPECT_LT(testkit::relative_error(got_filters, fx.at("filters"), 1e-3f), 1e-5f);

  LogMel mel = log_mel_spectrogram(a.samples);
  EXPECT_EQ(mel.n_mels, 80);
  EXPECT_EQ(mel.n_frames, fx.at("log_mel").dim(1));
  Tensor got = Tensor::from_floats(mel.data, fx.at("log_mel").shape());
  EXPECT_LT(testkit::relative_error(got, fx.at("log_mel"), 1.0f), 2e-5f);
}

TEST(AudioDecode, StereoAt44kIsMixedDownAndResampledTo16k) {
  const std::vector<float> left = sine(1000, 44100, 0.5, 0.6), right = sine(1000, 44100, 0.5, 0.2);
  std::vector<float> stereo;
  for (size_t i = 0; i < left.size(); ++i) stereo.insert(stereo.end(), {left[i], right[i]});
  Audio a = decode_audio(encode_wav(stereo, 44100, 2), "stereo.wav");
  EXPECT_EQ(a.source_rate, 44100);
  EXPECT_EQ(a.source_channels, 2);
  EXPECT_FALSE(a.clipped);
  EXPECT_NEAR(double(a.samples.size()), 8000, 1);
  EXPECT_NEAR(amplitude_at(a.samples, 1000, 16000), 0.4, 0.01);  // the mean of 0.6 and 0.2
  EXPECT_LT(amplitude_at(a.samples, 3000, 16000), 0.005);        // no spurious tone
  // 192 kHz is accepted and resampled; 9 channels are not.
  Audio hi = decode_audio(encode_wav(sine(440, 192000, 0.25), 192000, 1), "hi.wav");
  EXPECT_NEAR(double(hi.samples.size()), 4000, 1);
  EXPECT_NEAR(amplitude_at(hi.samples, 440, 16000), 0.5, 0.01);
  expect_error(encode_wav(std::vector<float>(9 * 100, 0.1f), 16000, 9), "9 channels");
}

TEST(AudioDecode, FlacAndOggThroughLibsndfile) {
  testkit::TempDir dir("audio");
  const std::vector<float> x = sine(500, 22050, 0.4);
  for (int format : {SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS}) {
    const std::string path = dir.str(format & SF_FORMAT_FLAC ? "a.flac" : "a.ogg");
    SF_INFO info{};
    info.samplerate = 22050;
    info.channels = 1;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    sf_writef_float(f, x.data(), sf_count_t(x.size()));
    sf_close(f);
    Audio a = load_audio(path);
    EXPECT_NEAR(double(a.samples.size()), 6400, 2) << path;
    EXPECT_NEAR(amplitude_at(a.samples, 500, 16000), 0.5, 0.02) << path;
  }
}

TEST(AudioDecode, LongAudioIsClippedAndBadDataIsRefused) {
  Audio a = decode_audio(encode_wav(sine(300, 8000, 35.0), 8000, 1), "long.wav");
  EXPECT_TRUE(a.clipped);
  EXPECT_NEAR(a.source_seconds, 35.0, 1e-6);
  EXPECT_EQ(a.samples.size(), size_t(30 * 16000));
  Audio b = decode_audio(encode_wav(sine(300, 8000, 3.0), 8000, 1), "b.wav", 1.5);
  EXPECT_EQ(b.samples.size(), size_t(1.5 * 16000));
  expect_error({}, "empty");
  std::vector<uint8_t> garbage(1000, 0x42);
  expect_error(garbage, "not a readable audio file");
  std::vector<uint8_t> header_only = encode_wav(sine(300, 8000, 1.0), 8000, 1);
  header_only.resize(44);
  expect_error(header_only, "clip.wav");
  EXPECT_THROW(log_mel_spectrogram(std::vector<float>(100, 0.0f)), Error);  // < n_fft / 2 + 1
}

TEST(Imu, ResamplesNormalizesAndAcceptsAnyColumnOrder) {
  // Columns reordered, an extra one, 100 Hz rows with a linear ramp in ax.
  std::string csv = "gz, t ,ax,ay,az,gx,gy,temp\n";
  for (int i = 0; i <= 100; ++i)
    csv += "0.5," + std::to_string(i * 0.01) + "," + std::to_string(i * 0.1) + ",1,2,3,4,20\n";
  ImuTrace t = read_imu(csv, "walk.csv");  // 1 s at 50 Hz
  EXPECT_EQ(t.n, 51);
  EXPECT_FALSE(t.clipped);
  EXPECT_NEAR(t.data[size_t(10 * kImuChannels + 0)], 2.0, 1e-4);  // ax at 0.2 s
  EXPECT_NEAR(t.data[size_t(10 * kImuChannels + 5)], 0.5, 1e-6);  // gz
  normalize_imu(t);
  double mean = 0, sq = 0;
  for (int64_t i = 0; i < t.n; ++i) mean += t.data[size_t(i * kImuChannels)];
  mean /= double(t.n);
  for (int64_t i = 0; i < t.n; ++i) sq += std::pow(t.data[size_t(i * kImuChannels)] - mean, 2);
  EXPECT_NEAR(mean, 0, 1e-5);
  EXPECT_NEAR(sq / double(t.n), 1, 1e-4);
  EXPECT_EQ(t.data[size_t(3 * kImuChannels + 1)], 0.0f);  // a flat channel stays 0
  ImuOptions opt;
  opt.max_seconds = 0.5;
  ImuTrace clipped = read_imu(csv, "walk.csv", opt);
  EXPECT_TRUE(clipped.clipped);
  EXPECT_EQ(clipped.n, 26);
}

TEST(Imu, EveryBadCsvIsAnErrorNamingTheProblem) {
  auto expect_imu_error = [](const std::string& csv, const std::string& part, ImuOptions opt = {}) {
    try {
      read_imu(csv, "m.csv", opt);
      ADD_FAILURE() << "no error for: " << csv.substr(0, 60);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  const std::string header = "t,ax,ay,az,gx,gy,gz\n";
  expect_imu_error("", "empty");
  expect_imu_error("t,ax,ay,az,gx,gy\n0,1,2,3,4,5\n", "'gz'");
  expect_imu_error("0,1,2,3,4,5,6\n1,1,2,3,4,5,6\n", "'t'");  // no header
  expect_imu_error(header + "0,1,2,3,4,5,6\n0.1,nan,2,3,4,5,6\n", "row 2, column ax");
  expect_imu_error(header + "0,1,2,3,4,5,6\n0.1,1,2,3,4,5,inf\n", "column gz");
  expect_imu_error(header + "0,1,2,3,4,5,6\n0.1,1,2,x,4,5,6\n", "column az");
  expect_imu_error(header + "0,1,2,3,4,5,6\n0,1,2,3,4,5,6\n", "does not increase");
  expect_imu_error(header + "0,1,2,3,4,5,6\n0.1,1,2,3\n", "fields");
  expect_imu_error(header + "0,1,2,3,4,5,6\n", "fewer than 2");
  ImuOptions few;
  few.max_rows = 3;
  expect_imu_error(header + std::string("0,1,2,3,4,5,6\n1,1,2,3,4,5,6\n2,1,2,3,4,5,6\n") +
                       "3,1,2,3,4,5,6\n4,1,2,3,4,5,6\n",
                   "rows", few);
}
