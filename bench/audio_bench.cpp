// Audio encoder benchmark: a 10 s clip through Whisper's front end (log-mel, 1000 frames) and a
// Whisper-base-shaped encoder (512 wide, 6 layers, 8 heads, ff 2048; 500 positions), f32, no
// gradient, at 1 and 2 threads. Medians of 5. scripts/torch_audio_bench.py times the same shape
// in PyTorch on the same machine; compare the two tables (ratios).
//   build/bin/audio_bench [--threads 1,2]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/allocator.h"
#include "core/autograd_node.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "formats/log_mel.h"
#include "nn/sequence_encoder.h"

using namespace anymal;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double median_seconds(int runs, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  anymal::tune_allocator();
  std::vector<int> threads = {1, 2};
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--threads")) {
      threads.clear();
      std::stringstream ss(argv[++i]);
      for (std::string s; std::getline(ss, s, ',');) threads.push_back(std::stoi(s));
    }
  Rng rng(1);
  std::vector<float> audio(160000);  // 10 s at 16 kHz: a chirp with noise
  for (size_t i = 0; i < audio.size(); ++i)
    audio[i] = 0.3f * std::sin(float(i) * (0.01f + 1e-7f * float(i))) + 0.02f * rng.normal();
  nn::SequenceEncoderConfig c;
  c.n_in = 80;
  c.dim = 512;
  c.n_layer = 6;
  c.n_head = 8;
  c.ff = 2048;
  nn::SequenceEncoder enc(c, rng);
  autograd::NoGrad no_grad;
  std::printf("| threads | log-mel 10 s | encoder (1000 frames -> 500 x 512) | total |\n");
  std::printf("|---|---|---|---|\n");
  for (int n : threads) {
    ThreadPool pool(n);
    ThreadPoolScope scope(&pool);
    LogMel mel;
    const double t_mel = median_seconds(5, [&] { mel = log_mel_spectrogram(audio); });
    // [80, frames] -> [1, frames, 80] (channels last)
    std::vector<float> x(mel.data.size());
    for (int64_t m = 0; m < mel.n_mels; ++m)
      for (int64_t f = 0; f < mel.n_frames; ++f)
        x[size_t(f * mel.n_mels + m)] = mel.data[size_t(m * mel.n_frames + f)];
    Tensor input = Tensor::from_floats(x, Shape{1, mel.n_frames, mel.n_mels});
    enc.forward(input);  // warm up
    const double t_enc = median_seconds(5, [&] { enc.forward(input); });
    std::printf("| %d | %.1f ms | %.1f ms | %.1f ms |\n", n, t_mel * 1e3, t_enc * 1e3,
                (t_mel + t_enc) * 1e3);
  }
  return 0;
}
