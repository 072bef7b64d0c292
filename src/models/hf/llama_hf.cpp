#include "models/hf/llama_hf.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "models/llm/llama.h"
#include "ops/view.h"
#include "text/hf_tokenizer.h"

namespace anymal::models {

namespace {

// HF name (after "model.layers.N.") -> GGUF name (after "blk.N."), for the per-layer weights.
struct LayerTensor {
  const char* hf;
  const char* gguf;
};
constexpr LayerTensor kLayerTensors[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

}  // namespace

GgufWriter llama_hf_to_gguf(const std::string& dir, const HfConfig& cfg, HfFloat type) {
  const int64_t n_embd = cfg.get_int("hidden_size");
  const int64_t n_layer = cfg.get_int("num_hidden_layers");
  const int64_t n_head = cfg.get_int("num_attention_heads");
  const int64_t n_head_kv = cfg.get_int("num_key_value_heads", n_head);
  const int64_t n_ff = cfg.get_int("intermediate_size");
  const int64_t head_dim = cfg.get_int("head_dim", n_embd / n_head);
  if (n_head_kv <= 0 || n_head % n_head_kv != 0)
    cfg.fail("num_attention_heads " + std::to_string(n_head) +
             " is not a multiple of num_key_value_heads " + std::to_string(n_head_kv));
  if (!cfg.has("head_dim") && n_embd % n_head != 0)
    cfg.fail("hidden_size " + std::to_string(n_embd) +
             " is not a multiple of num_attention_heads " + std::to_string(n_head));
  if (head_dim <= 0 || head_dim % 2 != 0) cfg.fail("head_dim must be positive and even");
  if (cfg.has("rope_scaling"))
    throw_error(ErrorKind::unsupported, cfg.path + ": rope_scaling is not supported yet");
  const std::string act = cfg.json.value("hidden_act", "silu");
  if (act != "silu") cfg.fail("hidden_act \"" + act + "\" is not silu, as llama needs");

  auto ck = std::make_shared<const SafetensorsCheckpoint>(SafetensorsCheckpoint::open_dir(dir));
  const SafetensorsTensor& embd = ck->get("model.embed_tokens.weight");
  if (embd.shape.size() != 2 || embd.shape[1] != n_embd)
    throw_error(
        ErrorKind::invalid_input,
        embd.file + ": model.embed_tokens.weight is not [vocab, " + std::to_string(n_embd) + "]");
  const int64_t n_vocab = cfg.get_int("vocab_size", embd.shape[0]);
  if (n_vocab != embd.shape[0])
    cfg.fail("vocab_size " + std::to_string(n_vocab) + " but model.embed_tokens.weight has " +
             std::to_string(embd.shape[0]) + " rows");

  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_string("general.type", "model");
  w.set_string("general.name",
               cfg.json.value("_name_or_path", std::filesystem::path(dir).filename().string()));
  int64_t n_params = 0;
  for (const SafetensorsTensor& t : ck->tensors())
    if (t.name.find("rotary_emb.inv_freq") == std::string::npos) n_params += t.numel();
  w.set_string("general.size_label", size_label(n_params));
  w.set_u32("llama.block_count", uint32_t(n_layer));
  w.set_u32("llama.context_length", uint32_t(cfg.get_int("max_position_embeddings", 2048)));
  w.set_u32("llama.embedding_length", uint32_t(n_embd));
  w.set_u32("llama.feed_forward_length", uint32_t(n_ff));
  w.set_u32("llama.attention.head_count", uint32_t(n_head));
  w.set_u32("llama.attention.head_count_kv", uint32_t(n_head_kv));
  w.set_f32("llama.rope.freq_base", float(cfg.get_float("rope_theta", 10000.0)));
  w.set_f32("llama.attention.layer_norm_rms_epsilon", float(cfg.get_float("rms_norm_eps", 1e-6)));
  // llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32 (the matrices' type).
  const DType matrices = type == HfFloat::source ? embd.dtype
                         : type == HfFloat::f16  ? DType::f16
                         : type == HfFloat::bf16 ? DType::bf16
                                                 : DType::f32;
  w.set_u32("general.file_type", matrices == DType::f32 ? 0 : matrices == DType::f16 ? 1 : 32);
  w.set_u32("llama.vocab_size", uint32_t(n_vocab));
  w.set_u32("llama.rope.dimension_count", uint32_t(head_dim));
  if (cfg.has("head_dim")) {
    w.set_u32("llama.attention.key_length", uint32_t(head_dim));
    w.set_u32("llama.attention.value_length", uint32_t(head_dim));
  }
  text::hf_tokenizer_to_gguf(dir, cfg.json, n_vocab, w);
  w.set_u32("general.quantization_version", 2);

  // Tensors in the checkpoint's (sorted) order, as llama.cpp's converter writes them.
  for (const SafetensorsTensor& t : ck->tensors()) {
    const std::string& name = t.name;
    if (name == "model.embed_tokens.weight") {
      add_hf_tensor(w, ck, name, "token_embd.weight", {n_vocab, n_embd}, type);
    } else if (name == "lm_head.weight") {
      add_hf_tensor(w, ck, name, "output.weight", {n_vocab, n_embd}, type);
    } else if (name == "model.norm.weight") {
      add_hf_tensor(w, ck, name, "output_norm.weight", {n_embd}, type);
    } else if (name.rfind("model.layers.", 0) == 0) {
      const size_t dot = name.find('.', 13);
      int64_t layer = -1;
      try {
        layer = std::stoll(name.substr(13, dot - 13));
      } catch (const std::exception&) {
      }
      if (layer < 0 || layer >= n_layer || dot == std::string::npos)
        throw_error(ErrorKind::invalid_input, t.file + ": tensor " + name +
                                                  " names a layer outside num_hidden_layers " +
                                                  std::to_string(n_layer));
      const std::string rest = name.substr(dot + 1);
      if (rest.find("rotary_emb.inv_freq") != std::string::npos) continue;  // recomputed
      const LayerTensor* lt = nullptr;
      for (const LayerTensor& c : kLayerTensors)
        if (rest == c.hf) lt = &c;
      if (!lt)
        throw_error(ErrorKind::unsupported, t.file + ": tensor " + name + " is not a llama weight");
      const std::string out = "blk." + std::to_string(layer) + "." + lt->gguf;
      const int64_t q = n_head * head_dim, kv = n_head_kv * head_dim;
      if (rest == "input_layernorm.weight" || rest == "post_attention_layernorm.weight")
        add_hf_tensor(w, ck, name, out, {n_embd}, type);
      else if (rest == "self_attn.q_proj.weight")
        add_hf_tensor(w, ck, name, out, {q, n_embd}, type, n_head);
      else if (rest == "self_attn.k_proj.weight")
        add_hf_tensor(w, ck, name, out, {kv, n_embd}, type, n_head_kv);
      else if (rest == "self_attn.v_proj.weight")
        add_hf_tensor(w, ck, name, out, {kv, n_embd}, type);
      else if (rest == "self_attn.o_proj.weight")
        add_hf_tensor(w, ck, name, out, {n_embd, q}, type);
      else if (rest == "mlp.down_proj.weight")
        add_hf_tensor(w, ck, name, out, {n_embd, n_ff}, type);
      else
        add_hf_tensor(w, ck, name, out, {n_ff, n_embd}, type);
    } else {
      throw_error(ErrorKind::unsupported, t.file + ": tensor " + name + " is not a llama weight");
    }
  }
  // Every weight must be there: a missing one is named now, not at load.
  for (int64_t l = 0; l < n_layer; ++l)
    for (const LayerTensor& c : kLayerTensors)
      ck->get("model.layers." + std::to_string(l) + "." + c.hf);
  ck->get("model.norm.weight");
  return w;
}

void llama_gguf_to_hf(const GgufFile& f, const std::string& dir) {
  const LlamaConfig c = LlamaConfig::from_gguf(f);
  const bool tied = f.find_tensor("output.weight") == nullptr;
  nlohmann::json config = {{"architectures", {"LlamaForCausalLM"}},
                           {"model_type", "llama"},
                           {"hidden_size", c.n_embd},
                           {"intermediate_size", c.n_ff},
                           {"num_hidden_layers", c.n_layer},
                           {"num_attention_heads", c.n_head},
                           {"num_key_value_heads", c.n_head_kv},
                           {"vocab_size", c.n_vocab},
                           {"rms_norm_eps", c.rms_eps},
                           {"rope_theta", c.rope_base},
                           {"max_position_embeddings", c.n_ctx_train},
                           {"hidden_act", "silu"},
                           {"tie_word_embeddings", tied}};
  if (c.head_dim * c.n_head != c.n_embd || f.find("llama.attention.key_length"))
    config["head_dim"] = c.head_dim;
  if (c.n_rot != c.head_dim)
    throw_error(ErrorKind::unsupported, f.path() + ": partial RoPE (rope.dimension_count " +
                                            std::to_string(c.n_rot) + " < head dim) has no " +
                                            "Hugging Face Llama equivalent");
  if (const GgufValue* n = f.find("general.name"); n && n->type == GgufType::string)
    config["_name_or_path"] = n->s;

  // Weights stay in f16/bf16 when the file holds them so; anything else becomes f32.
  DType dtype = DType::f32;
  const GgmlType embd_type = f.tensor_info("token_embd.weight").type;
  if (embd_type == GgmlType::f16) dtype = DType::f16;
  if (embd_type == GgmlType::bf16) dtype = DType::bf16;
  config["torch_dtype"] = dtype == DType::f32   ? "float32"
                          : dtype == DType::f16 ? "float16"
                                                : "bfloat16";

  SafetensorsWriter st;
  st.set_metadata("format", "pt");
  auto put = [&](const std::string& hf, const std::string& gguf, int64_t heads = 0) {
    Tensor t = gguf_tensor_for_hf(f, gguf, heads);
    if (t.ndim() >= 2 && dtype != DType::f32) t = ops::cast(t, dtype);
    st.add(hf, t);
  };
  put("model.embed_tokens.weight", "token_embd.weight");
  if (!tied) put("lm_head.weight", "output.weight");
  put("model.norm.weight", "output_norm.weight");
  for (int64_t l = 0; l < c.n_layer; ++l) {
    const std::string hf = "model.layers." + std::to_string(l) + ".";
    const std::string gg = "blk." + std::to_string(l) + ".";
    for (const LayerTensor& lt : kLayerTensors) {
      const std::string rest = lt.hf;
      const int64_t heads = rest == "self_attn.q_proj.weight"   ? c.n_head
                            : rest == "self_attn.k_proj.weight" ? c.n_head_kv
                                                                : 0;
      put(hf + lt.hf, gg + lt.gguf, heads);
    }
  }
  text::gguf_tokenizer_to_hf(f, dir, config);
  st.write_dir(dir, size_t(5) << 30);
  write_file_atomic((std::filesystem::path(dir) / "config.json").string(), config.dump(1) + "\n");
}

}  // namespace anymal::models
