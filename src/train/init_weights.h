// Starting a recipe from existing models instead of random weights: a llama language model
// (GGUF, or a Hugging Face LlamaForCausalLM directory, converted in memory) and a clip vision
// tower (GGUF, or a CLIPVisionModel directory), optionally with its mlp projector. The sizes
// come from the files; weights are widened to f32. The language model's tokenizer becomes the
// run's. What the trainable modules cannot represent (partial RoPE, a head_dim other than
// dim / n_head, a tower without class token or pre-LN) is an `unsupported` error.
#pragma once

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "models/anymal/anymal_model.h"

namespace anymal::train {

// The "lm" / "vit" sections of a model config (AnymalConfig JSON) for these files.
nlohmann::json lm_config_json(const GgufFile& llama);
nlohmann::json vit_config_json(const GgufFile& clip);
std::array<float, 3> clip_mean(const GgufFile& clip);
std::array<float, 3> clip_std(const GgufFile& clip);

// Copies the weights in; shapes must match the model's (they do when its config came from the
// *_config_json above).
void load_language_model(models::AnymalModel& m, const GgufFile& llama);
void load_vision_tower(models::AnymalModel& m, const GgufFile& clip);

}  // namespace anymal::train
