#include "models/anymal/vision.h"

#include <cstring>

#include "core/error.h"
#include "models/hf/hf_model.h"

namespace anymal::models {

std::unique_ptr<VisionModel> VisionModel::load(const std::string& path, int64_t n_llm_embd) {
  return load(open_model_file(path), n_llm_embd);
}

std::unique_ptr<VisionModel> VisionModel::load(std::shared_ptr<GgufFile> file, int64_t n_llm_embd) {
  auto m = std::unique_ptr<VisionModel>(new VisionModel());
  m->file_ = std::move(file);
  const std::string& path = m->file_->path();
  m->vit_ = VitEncoder::from_gguf(*m->file_);
  m->proj_ = projector_from_gguf(*m->file_);
  if (m->proj_->n_in() != m->vit_->config().n_embd)
    throw_error(ErrorKind::invalid_input, path + ": the projector takes " +
                                              std::to_string(m->proj_->n_in()) +
                                              " features but the vision tower gives " +
                                              std::to_string(m->vit_->config().n_embd));
  if (n_llm_embd > 0 && m->proj_->n_out() != n_llm_embd)
    throw_error(ErrorKind::invalid_input,
                path + ": projects images to " + std::to_string(m->proj_->n_out()) +
                    " dimensions but the language model's embeddings have " +
                    std::to_string(n_llm_embd) + ": this mmproj belongs to another model");
  return m;
}

std::vector<float> VisionModel::pixels(const Image& image) const {
  const VitConfig& c = config();
  return preprocess_llava(image, int(c.image_size), c.mean, c.std);
}

Tensor VisionModel::embed(const std::vector<Image>& images) const {
  const int64_t S = config().image_size, per = 3 * S * S;
  Tensor batch = Tensor::empty({int64_t(images.size()), 3, S, S});
  float* dst = batch.mutable_data<float>();
  for (size_t i = 0; i < images.size(); ++i) {
    Tensor chw = pixels_to_chw(pixels(images[i]), S);
    std::memcpy(dst + int64_t(i) * per, chw.data<float>(), size_t(per) * sizeof(float));
  }
  return proj_->project(vit_->encode(batch));
}

ImagePrompt split_image_prompt(const text::Tokenizer& tok, const std::string& prompt,
                               bool add_bos) {
  const std::string marker = kImageMarker;
  size_t at = prompt.find(marker);
  ImagePrompt out;
  if (at == std::string::npos) {
    out.before = tok.encode("", add_bos, true);
    out.after = tok.encode(prompt, false, true);
    return out;
  }
  if (prompt.find(marker, at + marker.size()) != std::string::npos)
    throw_error(ErrorKind::invalid_input,
                "the prompt has more than one <image> marker but one image was given");
  out.before = tok.encode(prompt.substr(0, at), add_bos, true);
  out.after = tok.encode(prompt.substr(at + marker.size()), false, true);
  return out;
}

}  // namespace anymal::models
