// Data-parallel training step of a Llama LM (the LM of train_bench's shape B: 512d x 8L,
// vocab 8192, 128 tokens, global batch 8), under mpirun or alone: each rank takes its share
// of the batch, gradients go through GradSync (buckets reduced while backward runs) into
// AdamW or the sharded optimizer. Prints one line: ranks, mode, median step time of 6 after
// 2 warm-up steps, global tokens/s, peak RSS of rank 0. bench/scale_bench.sh runs the table.
//   mpirun -np 2 build/bin/dp_bench --threads 1 --shard gradients --bucket-mb 25 [--bf16]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "autograd/backward.h"
#include "core/allocator.h"
#include "core/thread_pool.h"
#include "nn/llama_lm.h"
#include "ops/ops.h"
#include "train/grad_clip.h"
#include "train/memory_plan.h"
#include "train/sharded_adamw.h"

using namespace anymal;

int main(int argc, char** argv) {
  anymal::tune_allocator();
  int threads = 1;
  std::string shard = "none";
  double bucket_mb = 25;
  bool bf16 = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--shard") && i + 1 < argc) shard = argv[++i];
    if (!std::strcmp(argv[i], "--bucket-mb") && i + 1 < argc) bucket_mb = std::atof(argv[++i]);
    if (!std::strcmp(argv[i], "--bf16")) bf16 = true;
  }
  ThreadPool pool(threads);
  ThreadPoolScope scope(&pool);
  auto comm = train::Comm::world();
  const train::ShardLevel level = train::parse_shard_level(shard);
  const int world = comm->size(), rank = comm->rank();
  const int64_t vocab = 8192, dim = 512, seq = 128, batch = 8;
  if (batch % world != 0) {
    std::fprintf(stderr, "the batch of %lld does not divide over %d ranks\n", (long long)batch,
                 world);
    return 2;
  }
  nn::LlamaLmConfig c;
  c.vocab = vocab;
  c.dim = dim;
  c.n_layer = 8;
  c.n_head = 8;
  c.n_kv_head = 8;
  c.ff = dim * 8 / 3 / 64 * 64;
  c.ctx = seq;
  Rng rng(1);
  nn::LlamaLM lm(c, rng);
  const std::vector<Tensor> params = lm.trainable_parameters();
  std::vector<std::string> names;
  for (const auto& [name, t] : lm.named_parameters()) names.push_back(name);
  train::AdamWOptions ao;
  std::unique_ptr<train::AdamW> adam;
  std::unique_ptr<train::ShardedAdamW> zero;
  if (level == train::ShardLevel::none) {
    adam = std::make_unique<train::AdamW>(params, ao);
  } else {
    zero = std::make_unique<train::ShardedAdamW>(params, names, ao, *comm, level);
    std::vector<nn::Module*> blocks;
    for (auto& b : lm.blocks) blocks.push_back(b.get());
    zero->set_units(blocks, lm);
    zero->shard_weights();
  }
  const train::FlatLayout layout = zero ? zero->layout() : train::FlatLayout(params, world, rank);
  train::GradSync sync(params, layout, *comm,
                       {level >= train::ShardLevel::gradients, true, bf16,
                        std::max<int64_t>(4, int64_t(bucket_mb * 1048576))});
  if (zero) sync.set_hooks(zero->pass_hooks());
  // This rank's rows of a fixed random batch.
  const int64_t rows = batch / world;
  std::vector<int32_t> ids(size_t(rows * seq)), targets(size_t(rows * seq));
  Rng data(7 + uint64_t(rank));
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = int32_t(data.next_u64() % uint64_t(vocab));
    targets[i] = int32_t(data.next_u64() % uint64_t(vocab));
  }
  std::vector<double> times;
  for (int step = 0; step < 8; ++step) {
    comm->barrier();
    const auto t0 = std::chrono::steady_clock::now();
    if (zero) zero->begin_passes();
    Tensor logits = lm.forward_embeddings(lm.embed(Tensor::from_ints(ids, Shape{rows, seq})));
    Tensor loss = ops::scale(ops::cross_entropy(ops::reshape(logits, {-1, vocab}),
                                                Tensor::from_ints(targets, Shape{rows * seq})),
                             1.0f / float(world));
    const auto t1 = std::chrono::steady_clock::now();
    sync.backward(loss, true);
    const auto t2 = std::chrono::steady_clock::now();
    if (zero) {
      zero->end_passes();
      zero->step(sync, 1e-4f, 1.0f);
    } else {
      sync.store_grads();
      train::clip_grad_norm(params, 1.0f);
      adam->step(1e-4f);
    }
    const auto t3 = std::chrono::steady_clock::now();
    if (rank == 0 && std::getenv("DP_PHASES"))
      std::fprintf(stderr, "forward %.3f backward %.3f step %.3f\n",
                   std::chrono::duration<double>(t1 - t0).count(),
                   std::chrono::duration<double>(t2 - t1).count(),
                   std::chrono::duration<double>(t3 - t2).count());
    if (step >= 2)
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  if (rank == 0)
    std::printf(
        "%d ranks x %d threads  %-10s %s bucket %6.1f MB  step %.3f s  %7.0f tokens/s  "
        "peak RSS %.0f MiB\n",
        world, threads, shard.c_str(), bf16 ? "bf16" : "f32 ", bucket_mb, median,
        double(batch * seq) / median, train::peak_rss_mib());
  return 0;
}
