// What `ask` and `chat` load: a language model, its tokenizer and its vision projector.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "models/anymal/vision.h"
#include "models/llm/llama.h"
#include "text/tokenizer.h"

namespace anymal::cli {

struct Vlm {
  std::unique_ptr<models::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tok;
  std::unique_ptr<models::VisionModel> vision;
};

inline Vlm load_vlm(const std::string& model, const std::string& mmproj) {
  if (model.empty())
    throw_error(ErrorKind::invalid_input,
                "no model given and no bundled demo model exists yet (it comes with the "
                "training issue): pass -m LLM.gguf --mmproj PROJ.gguf");
  if (mmproj.empty())
    throw_error(ErrorKind::invalid_input, "-m needs --mmproj: the vision projector of the model");
  Vlm v;
  v.model = models::LlamaModel::load(model);
  v.tok = text::Tokenizer::from_gguf(v.model->file());
  v.vision = models::VisionModel::load(mmproj, v.model->config().n_embd);
  return v;
}

}  // namespace anymal::cli
