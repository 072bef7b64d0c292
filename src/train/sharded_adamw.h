// AdamW for data-parallel runs that partition the training state across ranks (ZeRO /
// FSDP style), over the flat vector of the trainable parameters (train/flat_layout.h):
//   optimizer   (ZeRO-1) each rank keeps the moments of its range only; gradients arrive
//               whole (all-reduced), each rank updates its range, the ranges are all-gathered;
//   gradients   (ZeRO-2) the same, and gradients arrive reduce-scattered: a rank holds the
//               summed gradient of its range only (train/grad_sync.h);
//   parameters  (ZeRO-3) the same, and between steps a rank holds the weights of its range
//               only: gather() rebuilds them whole for the step's passes, release() frees
//               them again after the backward passes.
// Every element is updated with the bits plain AdamW gives it (train/adamw.h), so a sharded
// run follows an unsharded one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/module.h"
#include "train/adamw.h"
#include "train/comm.h"
#include "train/flat_layout.h"
#include "train/grad_sync.h"

namespace anymal::train {

enum class ShardLevel { none, optimizer, gradients, parameters };
// "none", "optimizer", "gradients", "parameters"; invalid_input for anything else.
ShardLevel parse_shard_level(const std::string& s);
const char* shard_level_name(ShardLevel level);

class ShardedAdamW {
 public:
  // names: the parameters' names in the model (for checkpoints).
  ShardedAdamW(std::vector<Tensor> params, std::vector<std::string> names, AdamWOptions opt,
               Comm& comm, ShardLevel level);

  const FlatLayout& layout() const { return layout_; }
  const std::vector<Tensor>& params() const { return params_; }
  int64_t steps() const { return step_; }

  // ZeRO-3 only (no-ops otherwise): gather() makes every parameter whole on every rank;
  // release() keeps this rank's range and frees the rest.
  void gather();
  void release();
  bool released() const { return released_; }

  // One update from the step's summed gradients; the gradient norm (before clipping to
  // `clip`, when > 0) is returned. Every parameter is whole again afterwards (ZeRO-3:
  // still released).
  float step(GradSync& grads, float lr, float clip);

  // A checkpoint at `path`: every rank's shard, then rank 0's manifest (with the model's
  // other weights and `state`). Collective.
  void save(const std::string& path, const nn::Module& model, nlohmann::json state);
  // The moments (and ZeRO-3 weights) of this rank's range and the step count, from any
  // checkpoint of these parameters, sharded with any number of ranks or whole. The model's
  // weights must have been loaded (load_checkpoint) first.
  void load(const std::string& checkpoint);

 private:
  std::vector<Tensor> params_;
  std::vector<std::string> names_;
  std::vector<int64_t> sizes_;
  AdamWOptions opt_;
  Comm& comm_;
  ShardLevel level_;
  FlatLayout layout_;
  std::vector<float> m_, v_, shard_;  // this rank's range; shard_: ZeRO-3's weights
  bool released_ = false;
  int64_t step_ = 0;
};

}  // namespace anymal::train
