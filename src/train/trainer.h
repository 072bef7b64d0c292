// Runs a training recipe (train/recipe.h) in a run directory:
//   tokenizer.gguf   byte-level BPE trained on the dataset's text when the run starts
//   ckpt-SSS-NNNNNNNN.gguf   checkpoints every checkpoint.every steps and at each stage's end
//                    (the newest checkpoint.keep kept), each holding model, optimizer, stage
//                    and step; the data order is a function of (seed, stage, step), so
//                    resuming from one continues bit for bit as if never stopped
//   metrics.jsonl    {stage, step, loss, lr, tokens_per_s, flops, parameters, trainable} every
//                    log_every steps (flops: the estimated training FLOPs of those steps,
//                    train/flops.h; parameters: the model's, trainable: the stage's)
//   loss.png         the loss curve so far
//   export/model.gguf, export/mmproj.gguf   the result, for anymal ask and llama.cpp
// resume: continue from the newest checkpoint (an error when there is none); without it, a
// directory that already holds checkpoints is an error (nothing is overwritten).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/ggml_types.h"
#include "train/comm.h"
#include "train/recipe.h"
#include "train/sharded_adamw.h"

namespace anymal::train {

struct TrainOptions {
  bool resume = false;
  bool progress = true;  // a progress line on stderr
  // Called after every step with (stage index, steps done in it); returning true stops the
  // run there without saving, as a kill would (tests of resume).
  std::function<bool(int64_t, int64_t)> stop_after;
  // Data parallel across the processes of `comm` (null: this process alone): each takes its
  // slice of every global batch (which must divide evenly; contrastive stages run whole on
  // every process), gradients are summed with the loss weighted by each slice's share of
  // answer tokens, so the update is the global batch's; rank 0 writes the run directory.
  Comm* comm = nullptr;
  // Partitioning of the training state across the processes (train/sharded_adamw.h); its
  // checkpoints are sharded (train/checkpoint.h) and resume with any number of processes.
  ShardLevel shard = ShardLevel::none;
  bool bf16_reduce = false;                  // gradients reduced in bfloat16
  int64_t bucket_bytes = int64_t(25) << 20;  // gradient buckets (train/grad_sync.h)
};

void run_recipe(const RecipeConfig& recipe, const std::string& run_dir, const TrainOptions& opt);

// The model a checkpoint holds (config, adapters and weights), for export and evaluation.
std::unique_ptr<models::AnymalModel> load_trained_model(const std::string& checkpoint);

// A checkpoint's model as out_dir/model.gguf (llama, the run's tokenizer.gguf beside the
// checkpoint, LoRA merged) and out_dir/mmproj.gguf (clip), weights in `type`; out_dir is
// created once the checkpoint and its tokenizer are found.
void export_checkpoint(const std::string& checkpoint, const std::string& out_dir, GgmlType type);

}  // namespace anymal::train
