// An experiment sweep: a base training recipe, axes that vary it, and a search over them.
//
//   {"name": "families", "recipe": "variant.json",
//    "axes": {"family": ["mlp", "resampler(depth=2,tokens=16)", "xattn(every=2)"],
//             "lora_rank": [0, 16], "lr": [1e-3, 3e-3], "data_size": [2000], "steps": [500]},
//    "search": "grid" | {"random": K, "seed": S},
//    "eval": {"data": "test.jsonl", "limit": 300}, "threads": 1}
//
// Axes (each a non-empty list of values):
//   family     mlp | resampler(depth=D,tokens=N) | xattn(every=E[,depth=D,tokens=N]) — the
//              decoder-only family with LLaVA's mlp or AnyMAL's Perceiver resampler, or the
//              cross-attention family (its stages that train the projector train the blocks too)
//   lora_rank  LoRA rank of the multimodal stages (0: no adapters)
//   lr, steps  learning rate (min_lr scaled alike) and steps of the last stage (instruction
//              tuning, where the compute goes)
//   data_size  training examples (data.limit)
// Each run is the base recipe with its values applied, written out as a recipe of its own
// (paths made absolute). A run's id names its values and hashes them with the run's whole recipe
// and its evaluation: a sweep config that gains or loses values still finds the runs it already
// has, and one whose base recipe or test set changed gets new runs, never stale results. Bad
// configs throw invalid_input naming the key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace anymal::train {

struct RunSpec {
  std::string id;                   // e.g. "xattn-every2_lora16_5f3a9c21"
  nlohmann::json params;            // {"family": "xattn(every=2)", "lora_rank": 16, ...}
  nlohmann::json recipe;            // the training recipe of the run
  std::string family_kind() const;  // "mlp", "resampler" or "xattn"
};

struct SweepConfig {
  std::string path, name;
  std::string eval_data;  // absolute
  int64_t eval_limit = 0;
  int threads = 1;  // per run
  std::vector<RunSpec> runs;

  static SweepConfig load(const std::string& path);
  static SweepConfig from_json(const nlohmann::json& j, const std::string& path);

 private:
  static SweepConfig parse(const nlohmann::json& j, const std::string& path);
};

// Applies one run's values to a recipe (tests).
nlohmann::json apply_params(nlohmann::json recipe, const nlohmann::json& params,
                            const std::string& where);

}  // namespace anymal::train
