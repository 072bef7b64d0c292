#include "models/anymal/export.h"

#include "core/error.h"
#include "formats/gguf_writer.h"
#include "models/anymal/signal_format.h"
#include "ops/view.h"

namespace anymal::models {

namespace {

DType dtype_of(GgmlType t) {
  switch (t) {
    case GgmlType::f32:
      return DType::f32;
    case GgmlType::f16:
      return DType::f16;
    case GgmlType::bf16:
      return DType::bf16;
    default:
      throw_error(ErrorKind::unsupported, std::string("export writes f32, f16 or bf16, not ") +
                                              ggml_type_name(t) + " (quantize the result)");
  }
}

// llama_ftype of a file whose matrices are `t`.
uint32_t file_type(GgmlType t) { return t == GgmlType::f32 ? 0 : t == GgmlType::f16 ? 1 : 32; }

void add(GgufWriter& w, const std::string& name, const Tensor& value, DType matrices) {
  Tensor t = value.ndim() >= 2 && matrices != DType::f32 ? ops::cast(value, matrices) : value;
  w.add_tensor(name, t);
}

}  // namespace

void export_language_model(AnymalModel& model, const GgufFile& tokenizer, const std::string& path,
                           GgmlType type, const std::string& name) {
  const DType matrices = dtype_of(type);
  model.lm.merge_lora();
  const nn::LlamaLmConfig& c = model.config().lm;
  const int64_t n_vocab = int64_t(tokenizer.get_array("tokenizer.ggml.tokens").size());
  if (n_vocab != c.vocab)
    throw_error(ErrorKind::invalid_input, tokenizer.path() + ": the tokenizer has " +
                                              std::to_string(n_vocab) + " tokens, the model " +
                                              std::to_string(c.vocab));
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_string("general.type", "model");
  w.set_string("general.name", name);
  w.set_u32("llama.block_count", uint32_t(c.n_layer));
  w.set_u32("llama.context_length", uint32_t(c.ctx));
  w.set_u32("llama.embedding_length", uint32_t(c.dim));
  w.set_u32("llama.feed_forward_length", uint32_t(c.ff));
  w.set_u32("llama.attention.head_count", uint32_t(c.n_head));
  w.set_u32("llama.attention.head_count_kv", uint32_t(c.n_kv_head > 0 ? c.n_kv_head : c.n_head));
  w.set_f32("llama.rope.freq_base", c.rope_base);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", c.norm_eps);
  w.set_u32("general.file_type", file_type(type));
  w.set_u32("llama.vocab_size", uint32_t(c.vocab));
  w.set_u32("llama.rope.dimension_count", uint32_t(c.dim / c.n_head));
  for (const auto& [key, value] : tokenizer.metadata())
    if (key.rfind("tokenizer.", 0) == 0) w.set(key, value);
  w.set_u32("general.quantization_version", 2);
  for (const auto& [pname, value] : model.lm.named_parameters()) {
    if (pname.find("lora") != std::string::npos) continue;  // merged above
    add(w, pname, value, matrices);
  }
  w.write(path);
}

void export_mmproj(const AnymalModel& model, const std::string& path, GgmlType type,
                   const std::string& name) {
  const DType matrices = dtype_of(type);
  const AnymalConfig& c = model.config();
  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_string("general.name", name);
  w.set_u32("general.file_type", file_type(type));
  w.set_bool("clip.has_text_encoder", false);
  w.set_bool("clip.has_vision_encoder", true);
  w.set_bool("clip.has_llava_projector", model.mlp != nullptr);
  w.set_string("clip.projector_type", model.mlp ? "mlp" : "anymal_perceiver");
  w.set_bool("clip.use_gelu", !c.vit.quick_gelu);
  w.set_u32("clip.vision.image_size", uint32_t(c.vit.image_size));
  w.set_u32("clip.vision.patch_size", uint32_t(c.vit.patch));
  w.set_u32("clip.vision.embedding_length", uint32_t(c.vit.dim));
  w.set_u32("clip.vision.feed_forward_length", uint32_t(c.vit.ff));
  w.set_u32("clip.vision.projection_dim", uint32_t(c.lm.dim));
  w.set_u32("clip.vision.attention.head_count", uint32_t(c.vit.n_head));
  w.set_f32("clip.vision.attention.layer_norm_epsilon", c.vit.eps);
  w.set_u32("clip.vision.block_count", uint32_t(c.vit.n_layer));
  w.set_f32s("clip.vision.image_mean", {c.mean.begin(), c.mean.end()});
  w.set_f32s("clip.vision.image_std", {c.std.begin(), c.std.end()});
  if (model.perceiver) {
    w.set_u32("anymal.perceiver.block_count", uint32_t(c.perceiver_layers));
    w.set_u32("anymal.perceiver.head_count", uint32_t(c.perceiver_heads));
    w.set_f32("anymal.perceiver.layer_norm_epsilon", model.perceiver->config().eps);
  }
  for (const auto& [pname, value] : model.vit.named_parameters())
    add(w, nn::VitTower::clip_tensor_name(pname), value, matrices);
  for (const SignalTowerFormat& f : {audio_format(), imu_format()}) {
    const nn::SignalTower* t = f.audio ? model.audio.get() : model.imu.get();
    if (!t) continue;
    const SignalConfig& sc = f.audio ? c.audio : c.imu;
    const nn::SequenceEncoderConfig& e = t->config().encoder;
    w.set_bool(f.has_key, true);
    w.set_string(f.key_prefix + ".projector_type",
                 t->mlp ? kSignalProjectorType : kSignalPerceiverType);
    if (t->perceiver) {
      w.set_u32(f.anymal_prefix + ".perceiver.block_count", uint32_t(sc.perceiver_layers));
      w.set_u32(f.anymal_prefix + ".perceiver.head_count", uint32_t(sc.perceiver_heads));
    }
    w.set_u32(f.key_prefix + ".embedding_length", uint32_t(e.dim));
    w.set_u32(f.key_prefix + ".feed_forward_length", uint32_t(e.ff));
    w.set_u32(f.key_prefix + ".block_count", uint32_t(e.n_layer));
    w.set_u32(f.key_prefix + ".attention.head_count", uint32_t(e.n_head));
    w.set_f32(f.key_prefix + ".attention.layer_norm_epsilon", e.eps);
    w.set_u32(f.key_prefix + ".projection_dim", uint32_t(c.lm.dim));
    w.set_u32(f.audio ? "clip.audio.num_mel_bins" : "anymal.imu.channels", uint32_t(e.n_in));
    w.set_u32(f.anymal_prefix + ".tokens", uint32_t(sc.tokens));
    w.set_f32(f.anymal_prefix + ".window_seconds", float(sc.seconds));
    if (!f.audio) {
      w.set_f32s("anymal.imu.channel_mean", {sc.mean.begin(), sc.mean.end()});
      w.set_f32s("anymal.imu.channel_std", {sc.std.begin(), sc.std.end()});
    }
    for (const auto& [pname, value] : t->named_parameters())
      add(w, f.tensor_name(pname), value, matrices);
  }
  if (!model.xattn.empty()) {  // models/llm/cross_attention.h reads these
    const std::vector<int64_t> layers = c.xattn_layers();
    w.set_i32s("anymal.xattn.layers", std::vector<int32_t>(layers.begin(), layers.end()));
    w.set_u32("anymal.xattn.embedding_length", uint32_t(c.lm.dim));
    w.set_u32("anymal.xattn.head_count", uint32_t(c.lm.n_head));
    w.set_u32("anymal.xattn.head_count_kv", uint32_t(c.lm.block().kv_heads()));
    w.set_u32("anymal.xattn.feed_forward_length", uint32_t(c.lm.ff));
    w.set_f32("anymal.xattn.layer_norm_rms_epsilon", c.lm.norm_eps);
    for (size_t i = 0; i < layers.size(); ++i)
      for (const auto& [pname, value] : model.xattn[i]->named_parameters())
        add(w, "xattn." + std::to_string(layers[i]) + "." + pname, value, matrices);
  }
  if (model.mlp)
    for (const auto& [pname, value] : model.mlp->named_parameters())
      add(w, "mm." + pname, value, matrices);
  else
    for (const auto& [pname, value] : model.perceiver->named_parameters())
      add(w, "mm.perceiver." + pname, value, matrices);
  w.write(path);
}

}  // namespace anymal::models
