// AdamW for data-parallel runs that partition the training state across ranks (ZeRO /
// FSDP style), over the flat vector of the trainable parameters (train/flat_layout.h):
//   optimizer   (ZeRO-1) each rank keeps the moments of its range only; gradients arrive
//               whole (all-reduced), each rank updates its range, the ranges are all-gathered;
//   gradients   (ZeRO-2) the same, and gradients arrive reduce-scattered: a rank holds the
//               summed gradient of its range only (train/grad_sync.h);
//   parameters  (ZeRO-3, FSDP) the same, and a rank keeps the weights of its range only. The
//               blocks given to set_units() (transformer blocks: FSDP's wrapping units) are
//               gathered just in time — in forward when the block starts, in backward when
//               an op that reads them is about to run — and freed again when forward moves
//               on and when their gradients are complete; the other trainable weights (the
//               root unit) are whole for the step's passes. The blocks' frozen weights are
//               sharded and gathered with them too. Every rank gathers every unit once
//               per forward (in order) and once per backward (in reverse), used or not, so
//               ranks whose examples skip a tower still make the same collectives; gathers run
//               on a communicator of their own, beside the gradient reductions.
// Every element is updated with the bits plain AdamW gives it (train/adamw.h), so a sharded
// run follows an unsharded one.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
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
  ~ShardedAdamW();
  ShardedAdamW(const ShardedAdamW&) = delete;
  ShardedAdamW& operator=(const ShardedAdamW&) = delete;

  const FlatLayout& layout() const { return layout_; }
  const std::vector<Tensor>& params() const { return params_; }
  int64_t steps() const { return step_; }

  // ZeRO-3 only (no-ops otherwise). set_units: the blocks gathered one at a time, in forward
  // order (before shard_weights). shard_weights: keep this rank's range, free the rest
  // (after construction, or after the weights were loaded). begin_passes / end_passes
  // bracket a step's forward and backward passes (the root unit is whole in between; run
  // the backward passes through GradSync with pass_hooks()). gather_all: every weight whole
  // again (the stage's end, export).
  // The blocks' frozen weights (f32, in memory) are sharded too (LoRA's base, a frozen LM);
  // frozen weights outside the blocks stay whole. `model` names them for checkpoints.
  void set_units(const std::vector<nn::Module*>& blocks, const nn::Module& model);
  void shard_weights();
  void begin_passes();
  void end_passes();
  void gather_all();
  PassHooks pass_hooks();

  // One update from the step's summed gradients; the gradient norm (before clipping to
  // `clip`) is returned. Every parameter is whole again afterwards (ZeRO-3: only the shard).
  float step(GradSync& grads, float lr, float clip);

  // A checkpoint at `path`: every rank's shard, then rank 0's manifest (with the model's
  // other weights and `state`). Collective.
  void save(const std::string& path, const nn::Module& model, nlohmann::json state);
  // The moments (and ZeRO-3 weights) of this rank's range and the step count, from any
  // checkpoint of these parameters, sharded with any number of ranks or whole. The model's
  // weights must have been loaded (load_checkpoint) first.
  void load(const std::string& checkpoint);

 private:
  struct Unit {
    size_t first = 0, last = 0;    // trainable parameters [first, last)
    int64_t lo = 0, hi = 0;        // their flat range
    size_t ffirst = 0, flast = 0;  // frozen weights [ffirst, flast)
    int64_t flo = 0, fhi = 0;      // their flat range
    size_t pending = 0;            // trainable parameters whose gradient is not yet taken
  };
  bool zero3() const { return level_ == ShardLevel::parameters; }
  void gather_range(int64_t lo, int64_t hi);  // trainable; collective on gather_comm_
  void gather_unit(size_t k);
  void drop_unit(size_t k);
  void forward_enter(size_t unit);
  void backward_need(size_t unit);

  std::vector<Tensor> params_;
  std::vector<std::string> names_;
  std::vector<int64_t> sizes_;
  AdamWOptions opt_;
  Comm& comm_;
  ShardLevel level_;
  FlatLayout layout_;
  std::vector<float> m_, v_, shard_;  // this rank's range; shard_: ZeRO-3's weights
  std::vector<float> scratch_;        // all-gather buffer, kept across steps
  int64_t step_ = 0;
  // ZeRO-3's units.
  std::unique_ptr<Comm> gather_comm_;
  std::vector<Unit> units_;
  std::vector<nn::Module*> hooked_;
  std::vector<int> unit_of_;                            // per parameter; -1: the root unit
  std::vector<std::pair<int64_t, int64_t>> root_runs_;  // flat ranges of the root unit
  std::unordered_map<const Storage*, size_t> unit_by_storage_;
  std::vector<Tensor> frozen_;  // the blocks' frozen weights, sharded like the trainable ones
  std::vector<std::string> frozen_names_;
  std::unique_ptr<FlatLayout> frozen_layout_;
  std::vector<float> frozen_shard_;
  int64_t last_needed_ = -1;  // backward: the unit gathered last
  size_t forward_next_ = 0;
  int64_t backward_next_ = -1;
  bool sharded_ = false;  // shard_weights() has run: only shard_ is authoritative
};

}  // namespace anymal::train
