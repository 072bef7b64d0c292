// What `ask` and `chat` load: a language model, its tokenizer and its vision projector.
#pragma once

#include <filesystem>
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

// model empty: the bundled demo model in demo_dir (model.gguf + mmproj.gguf).
inline Vlm load_vlm(std::string model, std::string mmproj, const std::string& demo_dir) {
  if (model.empty()) {
    if (!mmproj.empty())
      throw_error(ErrorKind::invalid_input, "--mmproj needs -m: the demo model has its own");
    const std::filesystem::path dir = demo_dir;
    if (demo_dir.empty() || !std::filesystem::exists(dir / "model.gguf") ||
        !std::filesystem::exists(dir / "mmproj.gguf"))
      throw_error(ErrorKind::invalid_input,
                  "no model given and the bundled demo model is missing (" +
                      (dir / "model.gguf").string() + "): pass -m LLM.gguf --mmproj PROJ.gguf");
    model = (dir / "model.gguf").string();
    mmproj = (dir / "mmproj.gguf").string();
  }
  if (mmproj.empty())
    throw_error(ErrorKind::invalid_input, "-m needs --mmproj: the vision projector of the model");
  Vlm v;
  v.model = models::LlamaModel::load(model);
  v.tok = text::Tokenizer::from_gguf(v.model->file());
  v.vision = models::VisionModel::load(mmproj, v.model->config().n_embd);
  return v;
}

}  // namespace anymal::cli
