#include "models/hf/clip_hf.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "ops/view.h"
#include "text/hf_tokenizer.h"

namespace anymal::models {

namespace fs = std::filesystem;

namespace {

// Per-block tensors: HF name after "encoder.layers.N." -> GGUF name after "v.blk.N.".
// fc1 (E -> F) is ffn_up as llama.cpp's current converter names it; files from the older
// LLaVA converter call it ffn_down, which the loader and clip_gguf_to_hf tell by shape.
struct BlockTensor {
  const char* hf;
  const char* gguf;
};
constexpr BlockTensor kBlockTensors[] = {
    {"self_attn.q_proj", "attn_q"}, {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"}, {"self_attn.out_proj", "attn_out"},
    {"layer_norm1", "ln1"},         {"layer_norm2", "ln2"},
    {"mlp.fc1", "ffn_up"},          {"mlp.fc2", "ffn_down"},
};

// transformers' defaults for fields a saved nested vision_config may leave out.
struct VisionDefaults {
  int64_t hidden, ff, layers, heads, image, patch;
  double eps;
  const char* act;
};
constexpr VisionDefaults kClipDefaults{768, 3072, 12, 12, 224, 32, 1e-5, "quick_gelu"};
constexpr VisionDefaults kSiglipDefaults{768, 3072, 12, 12, 224, 16, 1e-6, "gelu_pytorch_tanh"};

bool is_siglip(const std::string& arch, const std::string& model_type) {
  return arch.rfind("Siglip", 0) == 0 || model_type.rfind("siglip", 0) == 0;
}

// The tensor-name prefix of the vision tower in this checkpoint.
std::string vision_prefix(const SafetensorsCheckpoint& ck) {
  for (const char* p : {"vision_model.", "vision_tower.vision_model."})
    if (ck.find(std::string(p) + "embeddings.patch_embedding.weight")) return p;
  throw_error(ErrorKind::invalid_input,
              ck.dir() +
                  ": no vision_model.embeddings.patch_embedding.weight (not a CLIP or "
                  "SigLIP vision tower)");
}

std::vector<float> floats_or(const nlohmann::json& j, const char* key, std::vector<float> dflt,
                             const std::string& file) {
  if (!j.contains(key)) return dflt;
  const nlohmann::json& v = j[key];
  if (!v.is_array() || v.size() != 3)
    throw_error(ErrorKind::invalid_input, file + ": " + key + " must be 3 numbers");
  std::vector<float> out;
  for (const auto& x : v) {
    if (!x.is_number())
      throw_error(ErrorKind::invalid_input, file + ": " + key + " is not numeric");
    out.push_back(x.get<float>());
  }
  return out;
}

}  // namespace

bool is_hf_vision_arch(const std::string& arch) {
  return arch == "CLIPVisionModel" || arch == "SiglipVisionModel" || arch == "CLIPModel" ||
         arch == "SiglipModel";
}

GgufWriter clip_hf_to_gguf(const std::string& dir, const HfConfig& top, HfFloat type) {
  std::string arch;
  if (top.json.contains("architectures") && top.json["architectures"].is_array() &&
      !top.json["architectures"].empty() && top.json["architectures"][0].is_string())
    arch = top.json["architectures"][0].get<std::string>();
  const bool siglip = is_siglip(arch, top.json.value("model_type", ""));
  HfConfig cfg = top;
  if (top.has("vision_config")) {
    if (!top.json["vision_config"].is_object()) top.fail("vision_config is not an object");
    cfg.json = top.json["vision_config"];
    cfg.path = top.path + " (vision_config)";
  }
  const VisionDefaults& d = siglip ? kSiglipDefaults : kClipDefaults;
  auto ck = std::make_shared<const SafetensorsCheckpoint>(SafetensorsCheckpoint::open_dir(dir));
  const std::string pre = vision_prefix(*ck);
  const std::string emb = pre + "embeddings.";

  const int64_t E = cfg.get_int("hidden_size", d.hidden),
                F = cfg.get_int("intermediate_size", d.ff);
  const int64_t L = cfg.get_int("num_hidden_layers", d.layers);
  const int64_t H = cfg.get_int("num_attention_heads", d.heads);
  const int64_t S = cfg.get_int("image_size", d.image), P = cfg.get_int("patch_size", d.patch);
  if (E <= 0 || F <= 0 || L <= 0 || H <= 0 || S <= 0 || P <= 0) cfg.fail("sizes must be positive");
  if (E % H != 0)
    cfg.fail("hidden_size " + std::to_string(E) + " is not a multiple of num_attention_heads " +
             std::to_string(H));
  if (S % P != 0)
    cfg.fail("image_size " + std::to_string(S) + " is not a multiple of patch_size " +
             std::to_string(P));
  if (cfg.get_int("num_channels", 3) != 3) cfg.fail("num_channels must be 3 (RGB)");
  const std::string act = cfg.json.value("hidden_act", d.act);
  if (act != "quick_gelu" && act != "gelu" && act != "gelu_pytorch_tanh")
    cfg.fail("hidden_act \"" + act + "\" is not quick_gelu, gelu or gelu_pytorch_tanh");
  const bool has_class = ck->find(emb + "class_embedding") != nullptr;
  const int64_t n_pos = (S / P) * (S / P) + (has_class ? 1 : 0);
  const bool projector = ck->find("multi_modal_projector.linear_1.weight") != nullptr;

  // Mean/std: preprocessor_config.json, else CLIP's or SigLIP's.
  std::vector<float> mean = siglip ? std::vector<float>{0.5f, 0.5f, 0.5f}
                                   : std::vector<float>{0.48145466f, 0.4578275f, 0.40821073f};
  std::vector<float> stdv = siglip ? std::vector<float>{0.5f, 0.5f, 0.5f}
                                   : std::vector<float>{0.26862954f, 0.26130258f, 0.27577711f};
  const fs::path pp = fs::path(dir) / "preprocessor_config.json";
  if (fs::exists(pp)) {
    const nlohmann::json j = text::read_json_file(pp.string());
    mean = floats_or(j, "image_mean", mean, pp.string());
    stdv = floats_or(j, "image_std", stdv, pp.string());
  }

  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_string("general.name", top.json.value("_name_or_path", fs::path(dir).filename().string()));
  const DType matrices = type == HfFloat::source ? ck->get(emb + "patch_embedding.weight").dtype
                         : type == HfFloat::f16  ? DType::f16
                         : type == HfFloat::bf16 ? DType::bf16
                                                 : DType::f32;
  w.set_u32("general.file_type", matrices == DType::f32 ? 0 : matrices == DType::f16 ? 1 : 32);
  w.set_bool("clip.has_text_encoder", false);
  w.set_bool("clip.has_vision_encoder", true);
  w.set_bool("clip.has_llava_projector", projector);
  if (projector) w.set_string("clip.projector_type", "mlp");
  w.set_bool("clip.use_gelu", act != "quick_gelu");
  w.set_u32("clip.vision.image_size", uint32_t(S));
  w.set_u32("clip.vision.patch_size", uint32_t(P));
  w.set_u32("clip.vision.embedding_length", uint32_t(E));
  w.set_u32("clip.vision.feed_forward_length", uint32_t(F));
  int64_t proj_dim = cfg.get_int("projection_dim", E);
  if (projector) proj_dim = ck->get("multi_modal_projector.linear_2.weight").shape.at(0);
  w.set_u32("clip.vision.projection_dim", uint32_t(proj_dim));
  w.set_u32("clip.vision.attention.head_count", uint32_t(H));
  w.set_f32("clip.vision.attention.layer_norm_epsilon",
            float(cfg.get_float("layer_norm_eps", d.eps)));
  w.set_u32("clip.vision.block_count", uint32_t(L));
  w.set_f32s("clip.vision.image_mean", mean);
  w.set_f32s("clip.vision.image_std", stdv);

  if (has_class) add_hf_tensor(w, ck, emb + "class_embedding", "v.class_embd", {E}, type);
  add_hf_tensor(w, ck, emb + "patch_embedding.weight", "v.patch_embd.weight", {E, 3, P, P}, type);
  if (ck->find(emb + "patch_embedding.bias"))
    add_hf_tensor(w, ck, emb + "patch_embedding.bias", "v.patch_embd.bias", {E}, type);
  add_hf_tensor(w, ck, emb + "position_embedding.weight", "v.position_embd.weight", {n_pos, E},
                type);
  if (ck->find(pre + "pre_layrnorm.weight")) {  // sic: transformers' name
    add_hf_tensor(w, ck, pre + "pre_layrnorm.weight", "v.pre_ln.weight", {E}, type);
    add_hf_tensor(w, ck, pre + "pre_layrnorm.bias", "v.pre_ln.bias", {E}, type);
  }
  for (int64_t l = 0; l < L; ++l) {
    const std::string hf = pre + "encoder.layers." + std::to_string(l) + ".";
    const std::string gg = "v.blk." + std::to_string(l) + ".";
    for (const BlockTensor& b : kBlockTensors) {
      const std::string r = b.hf;
      const bool norm = r.rfind("layer_norm", 0) == 0;
      const std::vector<int64_t> wshape = norm             ? std::vector<int64_t>{E}
                                          : r == "mlp.fc1" ? std::vector<int64_t>{F, E}
                                          : r == "mlp.fc2" ? std::vector<int64_t>{E, F}
                                                           : std::vector<int64_t>{E, E};
      const int64_t bias = r == "mlp.fc1" ? F : E;
      add_hf_tensor(w, ck, hf + r + ".weight", gg + b.gguf + ".weight", wshape, type);
      add_hf_tensor(w, ck, hf + r + ".bias", gg + b.gguf + ".bias", {bias}, type);
    }
  }
  if (ck->find(pre + "post_layernorm.weight")) {
    add_hf_tensor(w, ck, pre + "post_layernorm.weight", "v.post_ln.weight", {E}, type);
    add_hf_tensor(w, ck, pre + "post_layernorm.bias", "v.post_ln.bias", {E}, type);
  }
  if (projector) {
    const auto& l1 = ck->get("multi_modal_projector.linear_1.weight").shape;
    if (l1.size() != 2 || l1[1] != E)
      throw_error(ErrorKind::invalid_input,
                  dir + ": multi_modal_projector.linear_1.weight must be [hidden, " +
                      std::to_string(E) + "]");
    const int64_t hid = l1[0];
    add_hf_tensor(w, ck, "multi_modal_projector.linear_1.weight", "mm.0.weight", {hid, E}, type);
    add_hf_tensor(w, ck, "multi_modal_projector.linear_1.bias", "mm.0.bias", {hid}, type);
    add_hf_tensor(w, ck, "multi_modal_projector.linear_2.weight", "mm.2.weight", {proj_dim, hid},
                  type);
    add_hf_tensor(w, ck, "multi_modal_projector.linear_2.bias", "mm.2.bias", {proj_dim}, type);
  }
  return w;
}

void clip_gguf_to_hf(const GgufFile& f, const std::string& dir) {
  if (!f.get_bool("clip.has_vision_encoder", true))
    throw_error(ErrorKind::unsupported, f.path() + ": has no vision encoder to write");
  const bool projector = f.find_tensor("mm.0.weight") != nullptr;
  const std::string ptype = f.get_string("clip.projector_type", "mlp");
  if (projector && ptype != "mlp")
    throw_error(ErrorKind::unsupported,
                f.path() + ": projector type \"" + ptype +
                    "\" has no Hugging Face equivalent here (only LLaVA's mlp is written)");
  const int64_t E = f.get_int("clip.vision.embedding_length"),
                F = f.get_int("clip.vision.feed_forward_length"),
                L = f.get_int("clip.vision.block_count");
  const bool has_class = f.find_tensor("v.class_embd") != nullptr;
  const bool gelu = f.get_bool("clip.use_gelu", false);
  nlohmann::json config = {
      {"architectures", {has_class ? "CLIPVisionModel" : "SiglipVisionModel"}},
      {"model_type", has_class ? "clip_vision_model" : "siglip_vision_model"},
      {"hidden_size", E},
      {"intermediate_size", F},
      {"num_hidden_layers", L},
      {"num_attention_heads", f.get_int("clip.vision.attention.head_count")},
      {"image_size", f.get_int("clip.vision.image_size")},
      {"patch_size", f.get_int("clip.vision.patch_size")},
      {"num_channels", 3},
      {"layer_norm_eps", f.get_float("clip.vision.attention.layer_norm_epsilon", 1e-5)},
      {"hidden_act", gelu ? (has_class ? "gelu" : "gelu_pytorch_tanh") : "quick_gelu"},
      {"projection_dim", f.get_int("clip.vision.projection_dim", E)}};
  if (const GgufValue* n = f.find("general.name"); n && n->type == GgufType::string)
    config["_name_or_path"] = n->s;

  const GgmlType patch_type = f.tensor_info("v.patch_embd.weight").type;
  const DType dtype = patch_type == GgmlType::f16    ? DType::f16
                      : patch_type == GgmlType::bf16 ? DType::bf16
                                                     : DType::f32;
  config["torch_dtype"] = dtype == DType::f32   ? "float32"
                          : dtype == DType::f16 ? "float16"
                                                : "bfloat16";
  SafetensorsWriter st;
  st.set_metadata("format", "pt");
  auto put = [&](const std::string& hf, const std::string& gguf) {
    if (!f.find_tensor(gguf)) return;
    Tensor t = f.dequantize(gguf);
    if (t.ndim() >= 2 && dtype != DType::f32) t = ops::cast(t, dtype);
    st.add(hf, t);
  };
  auto need = [&](const std::string& gguf) { f.tensor_info(gguf); };  // throws naming it
  const std::string pre = "vision_model.", emb = pre + "embeddings.";
  need("v.position_embd.weight");
  put(emb + "class_embedding", "v.class_embd");
  put(emb + "patch_embedding.weight", "v.patch_embd.weight");
  put(emb + "patch_embedding.bias", "v.patch_embd.bias");
  put(emb + "position_embedding.weight", "v.position_embd.weight");
  put(pre + "pre_layrnorm.weight", "v.pre_ln.weight");
  put(pre + "pre_layrnorm.bias", "v.pre_ln.bias");
  for (int64_t l = 0; l < L; ++l) {
    const std::string hf = pre + "encoder.layers." + std::to_string(l) + ".";
    const std::string gg = "v.blk." + std::to_string(l) + ".";
    // Older files name fc1 ffn_down: the [F, E] one is fc1.
    const auto& down = f.tensor_info(gg + "ffn_down.weight");
    const bool legacy = F != E && down.ne.size() == 2 && down.ne[1] == F;
    for (const BlockTensor& b : kBlockTensors) {
      std::string g = b.gguf;
      if (legacy && g == "ffn_up")
        g = "ffn_down";
      else if (legacy && g == "ffn_down")
        g = "ffn_up";
      need(gg + g + ".weight");
      put(hf + b.hf + ".weight", gg + g + ".weight");
      put(hf + b.hf + ".bias", gg + g + ".bias");
    }
  }
  put(pre + "post_layernorm.weight", "v.post_ln.weight");
  put(pre + "post_layernorm.bias", "v.post_ln.bias");
  if (projector) {
    put("multi_modal_projector.linear_1.weight", "mm.0.weight");
    put("multi_modal_projector.linear_1.bias", "mm.0.bias");
    put("multi_modal_projector.linear_2.weight", "mm.2.weight");
    put("multi_modal_projector.linear_2.bias", "mm.2.bias");
  }

  auto floats = [&](const char* key) {
    std::vector<float> v;
    for (double x : f.get_array(key).floats) v.push_back(float(x));
    return v;
  };
  const int64_t S = f.get_int("clip.vision.image_size");
  const nlohmann::json pre_cfg = {
      {"image_processor_type", has_class ? "CLIPImageProcessor" : "SiglipImageProcessor"},
      {"do_resize", true},
      {"size", {{"shortest_edge", S}}},
      {"do_center_crop", true},
      {"crop_size", {{"height", S}, {"width", S}}},
      {"resample", 3},
      {"do_rescale", true},
      {"rescale_factor", 1.0 / 255},
      {"do_normalize", true},
      {"image_mean", floats("clip.vision.image_mean")},
      {"image_std", floats("clip.vision.image_std")},
      {"do_convert_rgb", true}};
  st.write_dir(dir, size_t(5) << 30);
  write_file_atomic((fs::path(dir) / "preprocessor_config.json").string(), pre_cfg.dump(1) + "\n");
  write_file_atomic((fs::path(dir) / "config.json").string(), config.dump(1) + "\n");
}

}  // namespace anymal::models
