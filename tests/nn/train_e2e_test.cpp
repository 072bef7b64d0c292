// End to end: a 2-layer transformer learns to copy and to reverse digit sequences.
#include <gtest/gtest.h>

#include <chrono>

#include "autograd/backward.h"
#include "core/thread_pool.h"
#include "tiny_lm.h"
#include "train/adamw.h"
#include "train/grad_clip.h"
#include "train/schedule.h"

using namespace anymal;

namespace {

constexpr int32_t kSep = 10, kCopy = 11, kReverse = 12, kVocab = 13;
constexpr int kLen = 6;

// [task, x1..xL, SEP, y1..yL]; targets predict y (and nothing else: -100).
void make_batch(Rng& rng, int64_t batch, Tensor& ids, Tensor& targets) {
  int64_t T = 2 * kLen + 2;
  std::vector<int32_t> in(static_cast<size_t>(batch * (T - 1))), tg(in.size(), -100);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int32_t> seq(static_cast<size_t>(T));
    bool reverse = rng.below(2) == 1;
    seq[0] = reverse ? kReverse : kCopy;
    for (int i = 0; i < kLen; ++i) seq[size_t(1 + i)] = int32_t(rng.below(10));
    seq[kLen + 1] = kSep;
    for (int i = 0; i < kLen; ++i)
      seq[size_t(kLen + 2 + i)] = seq[size_t(reverse ? kLen - i : 1 + i)];
    for (int64_t t = 0; t + 1 < T; ++t) {
      in[size_t(b * (T - 1) + t)] = seq[size_t(t)];
      if (t + 1 >= kLen + 2) tg[size_t(b * (T - 1) + t)] = seq[size_t(t + 1)];
    }
  }
  ids = Tensor::from_ints(in, Shape{batch, T - 1});
  targets = Tensor::from_ints(tg, Shape{batch * (T - 1)});
}

}  // namespace

TEST(TrainE2E, TwoLayerTransformerLearnsCopyAndReverse) {
  auto start = std::chrono::steady_clock::now();
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(1);
  nn::BlockConfig cfg;
  cfg.dim = 64;
  cfg.n_head = 4;
  cfg.ff_dim = 128;
  testkit::TinyLM model(kVocab, cfg, 2, rng);
  train::AdamWOptions opt;
  opt.weight_decay = 0.01f;
  train::AdamW adamw(model.trainable_parameters(), opt);
  const int steps = 700;
  train::WarmupCosine schedule{3e-3f, 1e-4f, 50, steps};
  Rng data(2);
  float loss_value = 0;
  for (int step = 0; step < steps; ++step) {
    Tensor ids, targets;
    make_batch(data, 32, ids, targets);
    adamw.zero_grad();
    Tensor logits = model.forward(ids);
    Tensor loss = ops::cross_entropy(ops::reshape(logits, {-1, kVocab}), targets);
    autograd::backward(loss);
    train::clip_grad_norm(adamw.params(), 1.0f);
    adamw.step(schedule.at(step));
    loss_value = loss.item();
  }
  // Held-out sequences: token accuracy of the argmax over every answer position.
  autograd::NoGrad ng;
  Rng eval(12345);
  Tensor ids, targets;
  make_batch(eval, 256, ids, targets);
  std::vector<float> logits = ops::reshape(model.forward(ids), {-1, kVocab}).to_floats();
  std::vector<int32_t> t = targets.to_ints();
  int64_t correct = 0, total = 0;
  for (size_t r = 0; r < t.size(); ++r) {
    if (t[r] < 0) continue;
    int best = 0;
    for (int v = 1; v < kVocab; ++v)
      if (logits[r * kVocab + size_t(v)] > logits[r * kVocab + size_t(best)]) best = v;
    correct += best == t[r];
    ++total;
  }
  double accuracy = double(correct) / double(total);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("copy/reverse: final loss %.4f, held-out token accuracy %.4f, %.1f s\n", loss_value,
              accuracy, seconds);
  EXPECT_GE(accuracy, 0.99);
  EXPECT_LT(seconds, 60.0);
}
