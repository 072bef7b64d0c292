// Training checkpoints: one GGUF file holding every parameter of the model (by its dotted
// name), the optimizer's moments ("opt.m." / "opt.v." + name, for the parameters it updates)
// and step count, and a JSON document of the run's state (stage, step, config) under
// anymal.checkpoint. Written atomically (temp, fsync, rename): a run killed at any moment
// leaves the previous checkpoint intact. All values are stored bit for bit (f32), so a run
// resumed from a checkpoint continues exactly as if it had not stopped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/module.h"
#include "train/adamw.h"

namespace anymal::train {

// opt may be null (no optimizer state).
void save_checkpoint(const std::string& path, const nn::Module& model, const AdamW* opt,
                     const nlohmann::json& state);

// Reads the state document only (what a loader needs to build the model first).
nlohmann::json read_checkpoint_state(const std::string& path);

// Loads every parameter of `model` (missing or mis-shaped ones are errors naming them) and,
// when opt is given, its moments and step count. Returns the state document.
nlohmann::json load_checkpoint(const std::string& path, nn::Module& model, AdamW* opt);

// Checkpoint files of a run directory (ckpt-SSS-NNNNNNNN.gguf), oldest first.
std::vector<std::string> list_checkpoints(const std::string& dir);
std::string checkpoint_path(const std::string& dir, int64_t stage, int64_t step);
// Deletes all but the newest `keep`.
void prune_checkpoints(const std::string& dir, int keep);

}  // namespace anymal::train
