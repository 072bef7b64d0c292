// Training checkpoints: one GGUF file holding every parameter of the model (by its dotted
// name), the optimizer's moments ("opt.m." / "opt.v." + name, for the parameters it updates)
// and step count, and a JSON document of the run's state (stage, step, config) under
// anymal.checkpoint. Written atomically (temp, fsync, rename): a run killed at any moment
// leaves the previous checkpoint intact. All values are stored bit for bit (f32), so a run
// resumed from a checkpoint continues exactly as if it had not stopped.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "nn/module.h"
#include "train/adamw.h"

namespace anymal::train {

// opt may be null (no optimizer state); parameters named in `skip` are not stored (a sharded
// checkpoint's shards hold them).
void save_checkpoint(const std::string& path, const nn::Module& model, const AdamW* opt,
                     const nlohmann::json& state, const std::set<std::string>& skip = {});

// Reads the state document only (what a loader needs to build the model first).
nlohmann::json read_checkpoint_state(const std::string& path);

// Loads every parameter of `model` (missing or mis-shaped ones are errors naming them) and,
// when opt is given, its moments and step count. Returns the state document.
nlohmann::json load_checkpoint(const std::string& path, nn::Module& model, AdamW* opt);

// Sharded checkpoints (training with --shard): each rank writes its range of the flat vector
// of the stage's trainable parameters (train/flat_layout.h) — the optimizer's moments "m" and
// "v", and under ZeRO-3 the weights "param" and the blocks' frozen weights "frozen" (a flat
// vector of their own) — to its shard file; rank 0 then writes the
// manifest at the checkpoint's own path: the model's other weights, and a state document whose
// "shards" names the files, their ranges and the parameters. The manifest is written after
// every shard (atomic, like all of them), so a manifest always names complete shards; a shard
// that is missing or does not match is an error naming it.
std::string shard_path(const std::string& manifest, int rank, int world);
// This rank's ranges of the trainable flat vector and of ZeRO-3's frozen block weights.
struct ShardRanges {
  int64_t begin = 0, end = 0, frozen_begin = 0, frozen_end = 0;
};
struct ShardArray {  // "m", "v", "param" (over the trainable range), "frozen"
  std::string what;
  const float* data;
  int64_t count;
};
void save_shard(const std::string& manifest, int rank, int world, const ShardRanges& ranges,
                const std::vector<ShardArray>& arrays);
// A flat vector's parameters, in order, and the elements each rank holds.
struct FlatList {
  std::vector<std::string> names;
  std::vector<int64_t> sizes, counts;
};
nlohmann::json shard_manifest(const std::string& manifest, const std::string& level,
                              const FlatList& trainable, const FlatList& frozen);
// Throws invalid_input when a sharded checkpoint's shard files are missing or do not match.
void check_shards(const std::string& checkpoint);
// Elements [begin, end) of "param", "m" or "v" over the flat vector of the parameters `names`
// (`sizes` elements each, in order), from a sharded or a whole checkpoint: how a run resumes
// with another number of ranks or another sharding.
std::vector<float> read_flat(const std::string& checkpoint, const std::string& what,
                             const std::vector<std::string>& names,
                             const std::vector<int64_t>& sizes, int64_t begin, int64_t end);

// Checkpoint files of a run directory (ckpt-SSS-NNNNNNNN.gguf, not shards), oldest first.
std::vector<std::string> list_checkpoints(const std::string& dir);
std::string checkpoint_path(const std::string& dir, int64_t stage, int64_t step);
// Deletes all but the newest `keep`, with their shards, and shards no kept manifest names.
void prune_checkpoints(const std::string& dir, int keep);

}  // namespace anymal::train
