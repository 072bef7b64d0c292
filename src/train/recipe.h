// A training recipe: the run's data, tokenizer, model and the stages that train it, read from
// a JSON file (configs/*.json). Every key is checked before anything runs: an unknown key or a
// bad value is an invalid_input error naming the file and the key's path.
//
// Stage kinds: "text" (language-model pretraining on the dataset's text: every token is a
// target), "clip" (contrastive pretraining of the `modality` tower, "image" by default, against
// the answers' text: captions for images, the class for sounds and motions), "multimodal"
// (answer tokens after an image, audio clip or motion trace; `tasks` limits the examples,
// empty = all). `train` names what the stage updates: "lm", "vit", "projector" (the vision
// projector), "audio", "audio_projector", "imu", "imu_projector", "clip_head", "lora" (adapters
// on every linear of the LM's blocks, rank/alpha from the stage; the base weights stay frozen),
// "xattn" (the gated cross-attention blocks of a model with model.xattn_every).
// data.train and data.val take one JSONL file or a list of them (e.g. images, sounds, motion);
// data.limit keeps the first N training examples (data-size experiments). A stage's batch is
// the global one: under mpirun it is split over the processes, and `accumulate` splits each
// process's share into micro-batches run one after another.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/anymal/anymal_model.h"

namespace anymal::train {

struct StageConfig {
  std::string name, kind;
  models::Modality modality = models::Modality::image;  // the tower a clip stage trains
  std::vector<std::string> tasks, train;
  int64_t steps = 0, batch = 8, warmup = 0, lora_rank = 0;
  int64_t accumulate = 1;  // micro-batches per process per step (the batch is the global one)
  float lr = 1e-3f, min_lr = 0, weight_decay = 0.01f, clip_grad = 1.0f, lora_alpha = 16;
};

struct RecipeConfig {
  std::string path;  // the file, for messages; data paths are relative to its directory
  uint64_t seed = 1;
  std::vector<std::string> train_data, val_data;
  int64_t train_limit = 0;  // data.limit: train on the first N examples (0: all)
  // Start from existing models (GGUF or Hugging Face directories): init_lm sets the language
  // model (sizes, weights and tokenizer), init_vision the vision tower (and mlp projector).
  std::string init_lm, init_vision;
  int64_t vocab_size = 1024;
  models::AnymalConfig model;  // model.lm.vocab is set from the trained tokenizer
  int64_t checkpoint_every = 200, keep_checkpoints = 3, log_every = 10;
  std::vector<StageConfig> stages;

  static RecipeConfig from_json(const nlohmann::json& j, const std::string& path);
  static RecipeConfig load(const std::string& path);
};

}  // namespace anymal::train
