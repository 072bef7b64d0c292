// Shared pieces of the Hugging Face <-> GGUF converters: reading config.json fields with errors
// that name the file and field, and moving one checkpoint tensor into a GGUF writer (renamed,
// shape-checked, optionally with llama.cpp's RoPE row permutation, in the chosen float type).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/gguf_writer.h"
#include "formats/safetensors.h"

namespace anymal::models {

// Float type of converted weights; `source` keeps each tensor's own (F32/F16/BF16).
// Vectors (norms, biases) are always written as f32, as llama.cpp's converter does.
enum class HfFloat { source, f32, f16, bf16 };

struct HfConfig {
  nlohmann::json json;
  std::string path;  // config.json, for messages

  static HfConfig read(const std::string& dir);   // throws when missing or not an object
  int64_t get_int(const std::string& key) const;  // required, positive
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_float(const std::string& key, double fallback) const;
  bool has(const std::string& key) const { return json.contains(key) && !json[key].is_null(); }
  [[noreturn]] void fail(const std::string& what) const;
};

// Rows of a [n_head*head_dim, cols] q/k projection reordered from Hugging Face's rotate-half
// pairs (i, i + head_dim/2) to GGUF's adjacent pairs (2i, 2i+1), or back when `inverse`.
void permute_rope_rows(float* w, int64_t rows, int64_t cols, int64_t n_head, bool inverse);

// Adds checkpoint tensor `hf_name` as `gguf_name`. Its row-major shape must equal `shape`
// (error naming both otherwise). permute_heads > 0 applies permute_rope_rows with that many
// heads. Unconverted tensors are referenced from the mapping, not copied.
void add_hf_tensor(GgufWriter& out, const std::shared_ptr<const SafetensorsCheckpoint>& ck,
                   const std::string& hf_name, const std::string& gguf_name,
                   const std::vector<int64_t>& shape, HfFloat type, int64_t permute_heads = 0);

// llama.cpp's general.size_label for a parameter count: "152K", "1.1B", "70B", "1.2T".
std::string size_label(int64_t n_params);

// A GGUF tensor as f32 (dequantized when needed) for the Hugging Face side; with
// permute_heads > 0 the inverse RoPE permutation is applied.
Tensor gguf_tensor_for_hf(const GgufFile& f, const std::string& name, int64_t permute_heads = 0);

}  // namespace anymal::models
