// Training throughput of the AnyMAL model (ViT + MLP projector + Llama LM, everything trained,
// AdamW), in text tokens per second, for the two shapes the training issue compares with
// PyTorch (scripts/torch_train_bench.py builds the same model):
//   A: ViT 64 px / patch 8 (dim 128, 4 blocks) + LM 256d x 4L, vocab 4096, 64 text tokens, batch 16
//   B: the same ViT + LM 512d x 8L, vocab 8192, 128 text tokens, batch 8
// Median step time of 8 after 2 warm-up steps; f32 and bf16 compute.
//   build/bin/train_bench [--threads N] [--profile A|B] (only that shape's bf16 steps, ~10 s,
//   to run under perf)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "autograd/backward.h"
#include "core/allocator.h"
#include "core/thread_pool.h"
#include "models/anymal/anymal_model.h"
#include "train/adamw.h"

using namespace anymal;

namespace {

struct Shape_ {
  const char* name;
  int64_t dim, layers, heads, vocab, text, batch;
};

double median_step(const Shape_& s, DType compute, int steps = 10) {
  models::AnymalConfig c;
  c.lm = {s.vocab, s.dim, s.layers, s.heads, s.heads, s.dim * 8 / 3 / 64 * 64, 512};
  c.vit.image_size = 64;
  c.vit.patch = 8;
  c.vit.dim = 128;
  c.vit.n_layer = 5;  // 4 feature blocks run (the LLaVA layer)
  c.vit.n_head = 4;
  c.vit.ff = 512;
  Rng rng(1);
  models::AnymalModel m(c, rng);
  m.set_compute_dtype(compute);
  m.clip_img.set_requires_grad(false);
  m.clip_txt.set_requires_grad(false);
  m.vit.blocks.back()->set_requires_grad(false);  // not on the LLaVA feature path
  train::AdamW adam(m.trainable_parameters(), train::AdamWOptions{});
  std::vector<models::MultimodalExample> batch(size_t(s.batch));
  for (auto& ex : batch) {
    ex.before = {1, 2};
    for (int64_t t = 0; t < s.text - 2; ++t)
      (t < 16 ? ex.after : ex.answer).push_back(int32_t(rng.below(uint64_t(s.vocab))));
  }
  const Tensor pixels = randn({s.batch, 3, 64, 64}, rng);
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    adam.zero_grad();
    Tensor loss = m.loss(batch, pixels);
    autograd::backward(loss);
    adam.step();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i >= 2) times.push_back(dt);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  anymal::tune_allocator();
  int threads = physical_core_count();
  const char* profile = nullptr;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--profile")) profile = argv[i + 1];
  }
  ThreadPool pool(threads);
  ThreadPoolScope scope(&pool);
  const Shape_ shapes[] = {
      {"A: LM 256d x 4L, vocab 4096, len 64, batch 16", 256, 4, 4, 4096, 64, 16},
      {"B: LM 512d x 8L, vocab 8192, len 128, batch 8", 512, 8, 8, 8192, 128, 8}};
  if (profile) {
    const Shape_& s = shapes[profile[0] == 'B' ? 1 : 0];
    std::printf("%s, bf16: %.0f text tokens/s\n", s.name,
                double(s.batch * s.text) / median_step(s, DType::bf16, 14));
    return 0;
  }
  std::printf("train_bench, %d threads: text tokens/s (median of 8 steps)\n", threads);
  std::printf("%-48s %10s %10s\n", "shape", "f32", "bf16");
  for (const Shape_& s : shapes) {
    const double f32 = double(s.batch * s.text) / median_step(s, DType::f32);
    const double bf16 = double(s.batch * s.text) / median_step(s, DType::bf16);
    std::printf("%-48s %10.0f %10.0f\n", s.name, f32, bf16);
  }
  return 0;
}
