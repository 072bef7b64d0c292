// Hugging Face model directories as anymal models: detection, conversion to GGUF (in memory
// or to a file) and back. What `anymal convert` runs, and what lets every command that takes
// `-m` (or `--mmproj`) take a directory: open_model_file converts it in memory.
//
// Recognised (config.json "architectures"): LlamaForCausalLM, MistralForCausalLM -> a llama
// GGUF; CLIPVisionModel, SiglipVisionModel (and the vision_config of a CLIP/SigLIP model)
// -> a clip GGUF vision tower. Anything else throws unsupported naming the architecture.
#pragma once

#include <memory>
#include <string>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "models/hf/hf_weights.h"

namespace anymal::models {

bool is_hf_dir(const std::string& path);  // a directory holding config.json

GgufWriter hf_to_gguf(const std::string& dir, HfFloat type = HfFloat::source);

// A GGUF file mapped, or a Hugging Face directory converted in memory (weights kept in their
// checkpoint dtype).
std::shared_ptr<GgufFile> open_model_file(const std::string& path);

// Writes a Hugging Face directory for a llama or clip GGUF; creates dir when missing.
void gguf_to_hf(const GgufFile& file, const std::string& dir);

}  // namespace anymal::models
