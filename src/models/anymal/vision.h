// An image to LLM input embeddings: a `clip` (mmproj) file's vision tower and projector, and
// how a prompt is split around the image. The LLaVA convention (llama.cpp's too): the text
// before `<image>` is tokenized with BOS, the text after without, each on its own; a prompt
// without the marker gets the image first.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"
#include "formats/image.h"
#include "models/encoders/vit.h"
#include "models/projectors/projector.h"
#include "text/tokenizer.h"

namespace anymal::models {

inline constexpr const char* kImageMarker = "<image>";

class VisionModel {
 public:
  // Loads an mmproj file; n_llm_embd (when > 0) must equal the projection size, else an
  // invalid_input error that names both.
  static std::unique_ptr<VisionModel> load(const std::string& path, int64_t n_llm_embd = 0);
  static std::unique_ptr<VisionModel> load(std::shared_ptr<GgufFile> file, int64_t n_llm_embd = 0);
  const VitConfig& config() const { return vit_->config(); }
  int64_t n_out() const { return proj_->n_out(); }
  int64_t n_tokens() const { return proj_->n_tokens(config().n_patches()); }
  // The preprocessed image, [S, S, 3] interleaved.
  std::vector<float> pixels(const Image& image) const;
  // Images -> embeddings [B, n_tokens, n_out] in one batched pass.
  Tensor embed(const std::vector<Image>& images) const;

 private:
  std::shared_ptr<GgufFile> file_;
  std::unique_ptr<VitEncoder> vit_;
  std::unique_ptr<Projector> proj_;
};

struct ImagePrompt {
  std::vector<int32_t> before, after;  // token ids around the image
};
// Splits at the one `<image>` marker (none: image first); two or more markers for one image is
// an invalid_input error. Control-token text (a chat template's) is parsed as those tokens, as
// llama.cpp does; add_bos: BOS before the text (a conversation's first turn).
ImagePrompt split_image_prompt(const text::Tokenizer& tok, const std::string& prompt,
                               bool add_bos = true);

}  // namespace anymal::models
