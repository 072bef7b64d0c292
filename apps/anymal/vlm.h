// What `ask` and `chat` load: a language model, its tokenizer and its mmproj encoders (vision,
// and audio / IMU when the file has them).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/error.h"
#include "infer/session.h"
#include "models/anymal/encoders.h"
#include "models/llm/llama.h"
#include "text/tokenizer.h"

namespace anymal::cli {

struct Vlm {
  std::unique_ptr<models::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tok;
  models::Encoders enc;
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
  v.enc = models::Encoders::load(mmproj, v.model->config().n_embd);
  v.model->set_cross_attention(v.enc.xattn);  // the cross-attention family's blocks, if any
  return v;
}

// Appends a split prompt to the session: pieces[0], embds[0], pieces[1], ... (one embedding
// [1, n, n_embd] per marker, in order).
inline void eval_media_prompt(infer::Session& session, const models::MediaPrompt& p,
                              const std::vector<Tensor>& embds) {
  if (embds.size() != p.media.size())
    throw_error(ErrorKind::invalid_input, "the prompt has " + std::to_string(p.media.size()) +
                                              " input markers for " + std::to_string(embds.size()) +
                                              " inputs");
  for (size_t i = 0; i < p.pieces.size(); ++i) {
    session.eval_tokens(p.pieces[i]);
    if (i < embds.size()) session.eval_embeddings(embds[i].data<float>(), embds[i].dim(1));
  }
}

}  // namespace anymal::cli
