// Hugging Face vision towers <-> llama.cpp `clip` GGUF files (v.* tensors, clip.vision.* keys).
//
// In: CLIPVisionModel, SiglipVisionModel, or the vision half of CLIPModel / SiglipModel
// (config.json's vision_config; the text tower is ignored). Tensors under vision_model. or
// vision_tower.vision_model.; a LLaVA projector stored beside them as
// multi_modal_projector.linear_{1,2} becomes mm.0 / mm.2 (clip.projector_type "mlp").
// SigLIP's attention-pooling head is not used by the clip layout and is skipped. Mean and std
// come from preprocessor_config.json when present, else the family's defaults.
// Out: a CLIPVisionModel (class token) or SiglipVisionModel directory with config.json,
// model.safetensors and preprocessor_config.json; an mlp projector is kept as
// multi_modal_projector.* so the round trip is lossless. Other projector types are refused.
#pragma once

#include <string>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "models/hf/hf_weights.h"

namespace anymal::models {

bool is_hf_vision_arch(const std::string& arch);

GgufWriter clip_hf_to_gguf(const std::string& dir, const HfConfig& config, HfFloat type);

void clip_gguf_to_hf(const GgufFile& file, const std::string& dir);

}  // namespace anymal::models
