#include "train/init_weights.h"

#include "core/error.h"
#include "models/encoders/vit.h"
#include "models/llm/llama.h"

namespace anymal::train {

namespace {

void copy(models::AnymalModel& m, const std::string& param, const GgufFile& f,
          const std::string& tensor) {
  m.load_parameter(param, f.dequantize(tensor));
}

}  // namespace

nlohmann::json lm_config_json(const GgufFile& f) {
  const models::LlamaConfig c = models::LlamaConfig::from_gguf(f);
  if (c.head_dim * c.n_head != c.n_embd || c.n_rot != c.head_dim)
    throw_error(ErrorKind::unsupported,
                f.path() + ": head_dim != n_embd / n_head or partial RoPE: not trainable here yet");
  return {{"vocab", c.n_vocab},   {"dim", c.n_embd},          {"n_layer", c.n_layer},
          {"n_head", c.n_head},   {"n_kv_head", c.n_head_kv}, {"ff", c.n_ff},
          {"ctx", c.n_ctx_train}, {"rope_base", c.rope_base}, {"norm_eps", c.rms_eps}};
}

nlohmann::json vit_config_json(const GgufFile& f) {
  for (const char* t : {"v.class_embd", "v.pre_ln.weight"})
    if (!f.find_tensor(t))
      throw_error(ErrorKind::unsupported, f.path() + ": the tower has no " + std::string(t) +
                                              "; only CLIP-style towers (class token, pre-LN) "
                                              "are trainable here yet");
  return {{"image_size", f.get_int("clip.vision.image_size")},
          {"patch", f.get_int("clip.vision.patch_size")},
          {"dim", f.get_int("clip.vision.embedding_length")},
          {"n_layer", f.get_int("clip.vision.block_count")},
          {"n_head", f.get_int("clip.vision.attention.head_count")},
          {"ff", f.get_int("clip.vision.feed_forward_length")},
          {"eps", f.get_float("clip.vision.attention.layer_norm_epsilon", 1e-5)},
          {"act", f.get_bool("clip.use_gelu", false) ? "gelu" : "quick_gelu"}};
}

std::array<float, 3> clip_mean(const GgufFile& f) {
  const auto& a = f.get_array("clip.vision.image_mean").floats;
  if (a.size() != 3)
    throw_error(ErrorKind::invalid_input, f.path() + ": image_mean is not 3 numbers");
  return {float(a[0]), float(a[1]), float(a[2])};
}

std::array<float, 3> clip_std(const GgufFile& f) {
  const auto& a = f.get_array("clip.vision.image_std").floats;
  if (a.size() != 3)
    throw_error(ErrorKind::invalid_input, f.path() + ": image_std is not 3 numbers");
  return {float(a[0]), float(a[1]), float(a[2])};
}

void load_language_model(models::AnymalModel& m, const GgufFile& f) {
  for (const auto& [name, t] : m.lm.named_parameters()) {
    if (name.find("lora_") != std::string::npos) continue;
    // A file with tied embeddings has no output.weight: the output starts as token_embd.
    const std::string src =
        name == "output.weight" && !f.find_tensor(name) ? "token_embd.weight" : name;
    copy(m, name, f, src);
  }
}

void load_vision_tower(models::AnymalModel& m, const GgufFile& f) {
  for (const auto& [name, t] : m.vit.named_parameters()) {
    const std::string src = nn::VitTower::clip_tensor_name(name);
    // LLaVA files drop the post-LN; CLIP has no patch bias (zeros: the same function).
    if ((src.rfind("v.post_ln.", 0) == 0 || src == "v.patch_embd.bias") && !f.find_tensor(src))
      continue;
    if (src.find(".ffn_") != std::string::npos) {
      // Older converters store fc1 as ffn_down: tell by shape, as the inference loader does.
      const std::string block = src.substr(0, src.find(".ffn_") + 1);
      const auto& down = f.tensor_info(block + "ffn_down.weight");
      const bool swapped = down.ne.size() == 2 && down.ne[1] == m.config().vit.ff &&
                           m.config().vit.ff != m.config().vit.dim;
      std::string s = src;
      if (swapped) {
        const bool up = s.find(".ffn_up.") != std::string::npos;
        s.replace(s.find(up ? ".ffn_up." : ".ffn_down."), up ? 8 : 10,
                  up ? ".ffn_down." : ".ffn_up.");
      }
      m.load_parameter("v." + name, f.dequantize(s));
      continue;
    }
    m.load_parameter("v." + name, f.dequantize(src));
  }
  if (m.mlp && f.find_tensor("mm.0.weight") &&
      f.get_string("clip.projector_type", "mlp") == "mlp" &&
      f.tensor_info("mm.2.weight").ne[1] == m.config().lm.dim)
    for (const auto& [name, t] : m.mlp->named_parameters()) copy(m, "mm." + name, f, "mm." + name);
}

}  // namespace anymal::train
