#include "models/anymal/media.h"

namespace anymal::models {

const char* modality_name(Modality m) {
  switch (m) {
    case Modality::image:
      return "image";
    case Modality::audio:
      return "audio";
    case Modality::imu:
      return "imu";
    case Modality::none:
      break;
  }
  return "text";
}

const char* modality_marker(Modality m) {
  switch (m) {
    case Modality::image:
      return "<image>";
    case Modality::audio:
      return "<audio>";
    case Modality::imu:
      return "<imu>";
    case Modality::none:
      break;
  }
  return "";
}

MediaPrompt split_media_prompt(const text::Tokenizer& tok, const std::string& prompt,
                               bool add_bos) {
  MediaPrompt out;
  size_t from = 0;
  for (;;) {
    // The nearest marker of any kind.
    size_t at = std::string::npos;
    Modality kind = Modality::none;
    for (Modality m : {Modality::image, Modality::audio, Modality::imu}) {
      const size_t p = prompt.find(modality_marker(m), from);
      if (p < at) {
        at = p;
        kind = m;
      }
    }
    const std::string piece = prompt.substr(from, at == std::string::npos ? at : at - from);
    out.pieces.push_back(tok.encode(piece, add_bos && out.pieces.empty(), true));
    if (at == std::string::npos) return out;
    out.media.push_back(kind);
    from = at + std::string(modality_marker(kind)).size();
  }
}

std::string media_question(const std::vector<Modality>& inputs, const std::string& question) {
  std::string s;
  for (Modality m : inputs) s += std::string(s.empty() ? "" : "\n") + modality_marker(m);
  if (question.empty()) return s;
  return s.empty() ? question : s + "\n" + question;
}

}  // namespace anymal::models
