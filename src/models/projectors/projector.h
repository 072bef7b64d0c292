// Projectors map vision features into the language model's embedding space. A registry keyed
// by `clip.projector_type` builds the right one from a `clip` file:
//   mlp       LLaVA-1.5: mm.2(gelu(mm.0(x)))
//   mlp_norm  mm.4-LN(mm.3(gelu(mm.1-LN(mm.0(x)))))   (Yi-VL style; LN = LayerNorm with affine)
//   anymal_perceiver  AnyMAL's Perceiver resampler (nn/perceiver.h): a fixed number of tokens
// GELU is ggml's (tanh approximation). Inference only; weights widened to f32 at load.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"

namespace anymal::models {

class Projector {
 public:
  virtual ~Projector() = default;
  // features [B, N, n_in] -> [B, n_tokens(N), n_out]
  virtual Tensor project(const Tensor& features) const = 0;
  virtual int64_t n_in() const = 0;
  virtual int64_t n_out() const = 0;
  // Output tokens per image for N input patches (N for per-patch projectors).
  virtual int64_t n_tokens(int64_t n_patches) const { return n_patches; }
};

using ProjectorFactory = std::function<std::unique_ptr<Projector>(const GgufFile&)>;

// The projector `clip.projector_type` names (default "mlp"); an unknown type is `unsupported`
// with the list of known ones.
std::unique_ptr<Projector> projector_from_gguf(const GgufFile& f);
std::unique_ptr<Projector> make_perceiver_projector(const GgufFile& f);
// Known projector type names, sorted.
std::vector<std::string> projector_types();

}  // namespace anymal::models
