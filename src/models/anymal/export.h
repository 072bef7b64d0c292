// A trained AnymalModel as the two files of the llama.cpp ecosystem: the language model as a
// `llama` GGUF (tokenizer keys copied from `tokenizer`, LoRA merged first) and the vision
// tower + projector as a `clip` mmproj GGUF (the mlp projector exactly in llama.cpp's LLaVA
// layout; the Perceiver resampler under clip.projector_type "anymal_perceiver"; the
// cross-attention family's gated blocks as xattn.L.* under anymal.xattn.* keys, so the
// language model file stays a plain llama that llama.cpp runs as the text LM). Matrices
// are written as `type` (f32, f16 or bf16), vectors as f32. Both writes are atomic.
#pragma once

#include <string>

#include "core/ggml_types.h"
#include "formats/gguf.h"
#include "models/anymal/anymal_model.h"

namespace anymal::models {

void export_language_model(AnymalModel& model, const GgufFile& tokenizer, const std::string& path,
                           GgmlType type = GgmlType::f16, const std::string& name = "anymal");
void export_mmproj(const AnymalModel& model, const std::string& path, GgmlType type = GgmlType::f16,
                   const std::string& name = "anymal");

}  // namespace anymal::models
