// The `llama` architecture from a GGUF file: hyper-parameters, and weights used in place from
// the mapping (any ggml type the backend can read), except matrices the CPU's kernels run faster
// repacked (q4_0/q8_0, f16, bf16: cpu::PackedQ8, PackedF16, PackedBF16). Shapes are checked
// against the hyper-parameters at load, naming the tensor when one is off.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/packed_bf16.h"
#include "backend/cpu/packed_f16.h"
#include "backend/cpu/packed_q8.h"
#include "core/ggml_types.h"
#include "core/tensor.h"
#include "formats/gguf.h"

namespace anymal::models {

struct LlamaConfig {
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // llama.attention.key_length, else n_embd / n_head
  int64_t n_ff = 0;
  int64_t n_rot = 0;  // llama.rope.dimension_count, else head_dim
  int64_t n_ctx_train = 0;
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;

  static LlamaConfig from_gguf(const GgufFile& f);
};

// A 2-D weight in its file type: `rows` outputs of `cols` inputs (ggml dims [cols, rows]).
struct WeightMatrix {
  std::string name;
  GgmlType type = GgmlType::f32;
  int64_t rows = 0, cols = 0;
  const uint8_t* data = nullptr;
  // q4_0/q8_0, f16 and bf16 re-laid for the packed kernels when they gain by it (then used
  // instead of `data`, whose pages are evicted; see cpu::PackedQ8, PackedF16, PackedBF16).
  std::shared_ptr<const cpu::PackedQ8> packed_q8;
  std::shared_ptr<const cpu::PackedF16> packed_f16;
  std::shared_ptr<const cpu::PackedBF16> packed_bf16;
  size_t row_bytes() const { return ggml_row_bytes(type, cols); }
};

struct LlamaLayer {
  Tensor attn_norm, ffn_norm;   // f32 [n_embd]
  WeightMatrix wq, wk, wv, wo;  // [n_head*hd, n_embd], [n_kv*hd, n_embd] x2, [n_embd, n_head*hd]
  WeightMatrix w_gate, w_up, w_down;  // [n_ff, n_embd] x2, [n_embd, n_ff]
};

// A weight of `f` checked against the shape the model expects (an error naming the tensor);
// matrices stay in the mapping, vectors are widened to f32.
WeightMatrix weight_matrix(const GgufFile& f, const std::string& name, int64_t rows, int64_t cols);
Tensor weight_vector(const GgufFile& f, const std::string& name, int64_t n);

class CrossAttention;

class LlamaModel {
 public:
  // Throws invalid_input naming the file and tensor/key for anything missing or misshapen.
  static std::unique_ptr<LlamaModel> load(const std::string& path);
  static std::unique_ptr<LlamaModel> from_gguf(std::shared_ptr<GgufFile> file);

  const LlamaConfig& config() const { return cfg_; }
  const GgufFile& file() const { return *file_; }
  std::shared_ptr<GgufFile> file_ptr() const { return file_; }

  WeightMatrix token_embd;  // [n_vocab, n_embd]
  Tensor output_norm;       // f32 [n_embd]
  WeightMatrix output;      // [n_vocab, n_embd]; token_embd when tied
  std::vector<LlamaLayer> layers;

  // The cross-attention family: gated blocks (from the model's mmproj) between the layers,
  // attending to each sequence's CrossMemory (KvCache::memory). Session and the batch engine
  // then attach input embeddings there instead of giving them positions; llama_eval_embd still
  // evaluates whatever rows it is given. Throws invalid_input when the blocks do not fit.
  void set_cross_attention(std::shared_ptr<const CrossAttention> xattn);
  const CrossAttention* cross_attention() const { return xattn_.get(); }

 private:
  std::shared_ptr<const CrossAttention> xattn_;
  std::shared_ptr<GgufFile> file_;
  LlamaConfig cfg_;
};

}  // namespace anymal::models
