// Hugging Face LlamaForCausalLM / MistralForCausalLM directories <-> llama GGUF files, with
// llama.cpp's tensor names, key names and RoPE row permutation of q/k (convert_hf_to_gguf.py).
#pragma once

#include <string>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "models/hf/hf_weights.h"

namespace anymal::models {

// Throws invalid_input naming config.json and the field, or the safetensors file and the
// tensor, for anything missing or contradictory; unsupported for features not implemented
// (rope_scaling).
GgufWriter llama_hf_to_gguf(const std::string& dir, const HfConfig& config, HfFloat type);

// Writes config.json, model.safetensors (f32 unless the file holds f16/bf16) and the
// tokenizer files into dir, which must exist.
void llama_gguf_to_hf(const GgufFile& file, const std::string& dir);

}  // namespace anymal::models
