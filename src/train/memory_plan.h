// Memory per rank of data-parallel training, by arithmetic (the ZeRO paper's accounting):
// weights, gradients and optimizer state for a model of `parameters` of which `trainable`
// train, over `world` ranks at a sharding level. Activations are not counted: they depend on
// batch and sequence, not on sharding. Under ZeRO-3 every weight is counted at rest, as a
// shard: the trainer shards the trainable weights and the transformer blocks' frozen ones
// (what stays whole — embeddings, head, norms outside the blocks — is small beside them).
#pragma once

#include <cstdint>

#include "train/sharded_adamw.h"

namespace anymal::train {

enum class Precision {
  f32,    // this CPU trainer: f32 weights and gradients, two f32 moments (4 + 4 + 8 bytes)
  mixed,  // GPU mixed precision: bf16 weights and gradients, f32 master + moments (2 + 2 + 12)
};

struct MemoryPlan {
  double weights = 0, gradients = 0, optimizer = 0;  // bytes
  double total() const { return weights + gradients + optimizer; }
};

MemoryPlan plan_memory(int64_t parameters, int64_t trainable, int world, ShardLevel level,
                       Precision precision);

// This process's peak resident memory so far, in MiB (getrusage).
double peak_rss_mib();

}  // namespace anymal::train
