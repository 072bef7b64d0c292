#include "models/anymal/encoders.h"

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/audio.h"
#include "formats/image.h"
#include "formats/imu.h"
#include "models/hf/hf_model.h"

namespace anymal::models {

Encoders Encoders::load(const std::string& mmproj, int64_t n_llm_embd) {
  Encoders e;
  const auto file = open_model_file(mmproj);
  e.vision = VisionModel::load(file, n_llm_embd);
  e.audio = SignalModel::load(*file, Modality::audio, n_llm_embd);
  e.imu = SignalModel::load(*file, Modality::imu, n_llm_embd);
  e.xattn = CrossAttention::from_gguf(file);
  return e;
}

bool Encoders::has(Modality m) const {
  return m == Modality::image   ? vision != nullptr
         : m == Modality::audio ? audio != nullptr
         : m == Modality::imu   ? imu != nullptr
                                : true;
}

int64_t Encoders::n_tokens(Modality m) const {
  if (m == Modality::none) return 0;
  if (!has(m))
    throw_error(ErrorKind::invalid_input,
                std::string("this model has no ") + modality_name(m) + " encoder");
  return m == Modality::image ? vision->n_tokens()
                              : (m == Modality::audio ? audio : imu)->n_tokens();
}

Tensor Encoders::embed_bytes(Modality m, std::span<const uint8_t> bytes,
                             std::string_view name) const {
  n_tokens(m);  // throws when the tower is missing
  switch (m) {
    case Modality::image:
      return vision->embed({decode_image(bytes, name)});
    case Modality::audio:
      return audio->embed_audio(decode_audio(bytes, name).samples);
    case Modality::imu:
      return imu->embed_imu(read_imu(
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), name));
    case Modality::none:
      break;
  }
  throw_error(ErrorKind::internal, "text has no encoder");
}

Tensor Encoders::embed_file(Modality m, const std::string& path) const {
  // Mapped, not read: an hour of audio or 10^8 CSV rows cost only what the decoders look at.
  const auto file = MappedFile::open(path);
  return embed_bytes(m, std::span<const uint8_t>(file->data(), file->size()), path);
}

}  // namespace anymal::models
