#include "models/llm/llama.h"

#include "backend/cpu/quant.h"
#include "core/error.h"
#include "models/hf/hf_model.h"
#include "models/llm/cross_attention.h"

namespace anymal::models {

namespace {

std::string dims_str(int64_t a, int64_t b) {
  return "[" + std::to_string(a) + "," + std::to_string(b) + "]";
}

}  // namespace

WeightMatrix weight_matrix(const GgufFile& f, const std::string& name, int64_t rows, int64_t cols) {
  const GgufTensorInfo& t = f.tensor_info(name);
  int64_t got_cols = t.ne[0], got_rows = t.ne.size() > 1 ? t.ne[1] : 1;
  if (t.ne.size() > 2 || got_cols != cols || got_rows != rows)
    throw_error(ErrorKind::invalid_input, f.path() + ": tensor " + name + " has shape " +
                                              dims_str(got_cols, got_rows) + ", expected " +
                                              dims_str(cols, rows));
  if (!cpu::can_dequantize(t.type))
    throw_error(ErrorKind::unsupported, f.path() + ": tensor " + name + " has type " +
                                            ggml_type_name(t.type) +
                                            ", which this build cannot run yet");
  WeightMatrix w;
  w.name = name;
  w.type = t.type;
  w.rows = rows;
  w.cols = cols;
  w.data = f.tensor_data(t);
  return w;
}

Tensor weight_vector(const GgufFile& f, const std::string& name, int64_t n) {
  const GgufTensorInfo& t = f.tensor_info(name);
  if (t.ne.size() != 1 || t.ne[0] != n)
    throw_error(ErrorKind::invalid_input, f.path() + ": tensor " + name + " has " +
                                              std::to_string(t.numel()) + " elements, expected [" +
                                              std::to_string(n) + "]");
  return f.dequantize(name);
}

namespace {

int64_t positive(const GgufFile& f, const std::string& key, int64_t v) {
  if (v <= 0 || v > (int64_t(1) << 24))
    throw_error(ErrorKind::invalid_input,
                f.path() + ": " + key + " = " + std::to_string(v) + " is out of range");
  return v;
}

}  // namespace

LlamaConfig LlamaConfig::from_gguf(const GgufFile& f) {
  std::string arch = f.get_string("general.architecture");
  if (arch != "llama")
    throw_error(ErrorKind::unsupported,
                f.path() + ": architecture '" + arch + "' is not supported (llama is)");
  LlamaConfig c;
  c.n_embd = positive(f, "llama.embedding_length", f.get_int("llama.embedding_length"));
  c.n_layer = positive(f, "llama.block_count", f.get_int("llama.block_count"));
  c.n_head = positive(f, "llama.attention.head_count", f.get_int("llama.attention.head_count"));
  c.n_head_kv = positive(f, "llama.attention.head_count_kv",
                         f.get_int("llama.attention.head_count_kv", c.n_head));
  c.n_ff = positive(f, "llama.feed_forward_length", f.get_int("llama.feed_forward_length"));
  c.head_dim = positive(f, "llama.attention.key_length",
                        f.get_int("llama.attention.key_length", c.n_embd / c.n_head));
  c.n_rot = positive(f, "llama.rope.dimension_count",
                     f.get_int("llama.rope.dimension_count", c.head_dim));
  c.n_ctx_train = positive(f, "llama.context_length", f.get_int("llama.context_length", 2048));
  c.rope_base = float(f.get_float("llama.rope.freq_base", 10000.0));
  c.rms_eps = float(f.get_float("llama.attention.layer_norm_rms_epsilon", 1e-5));
  if (c.n_head % c.n_head_kv != 0)
    throw_error(ErrorKind::invalid_input, f.path() + ": " + std::to_string(c.n_head) +
                                              " heads are not a multiple of " +
                                              std::to_string(c.n_head_kv) + " kv heads");
  if (c.n_rot > c.head_dim || c.n_rot % 2 != 0)
    throw_error(ErrorKind::invalid_input, f.path() + ": llama.rope.dimension_count " +
                                              std::to_string(c.n_rot) + " does not fit head dim " +
                                              std::to_string(c.head_dim));
  if (!(c.rope_base > 0) || !(c.rms_eps > 0))
    throw_error(ErrorKind::invalid_input,
                f.path() + ": rope.freq_base and the rms epsilon must be positive");
  const GgufTensorInfo& embd = f.tensor_info("token_embd.weight");
  c.n_vocab = embd.ne.size() > 1 ? embd.ne[1] : 0;
  if (const GgufValue* v = f.find("llama.vocab_size"); v && v->is_integer() && v->i != c.n_vocab)
    throw_error(ErrorKind::invalid_input, f.path() + ": llama.vocab_size " + std::to_string(v->i) +
                                              " but token_embd.weight has " +
                                              std::to_string(c.n_vocab) + " rows");
  return c;
}

std::unique_ptr<LlamaModel> LlamaModel::load(const std::string& path) {
  return from_gguf(open_model_file(path));
}

std::unique_ptr<LlamaModel> LlamaModel::from_gguf(std::shared_ptr<GgufFile> file) {
  auto m = std::unique_ptr<LlamaModel>(new LlamaModel());
  m->file_ = std::move(file);
  const GgufFile& f = *m->file_;
  const LlamaConfig c = m->cfg_ = LlamaConfig::from_gguf(f);
  const int64_t q_dim = c.n_head * c.head_dim, kv_dim = c.n_head_kv * c.head_dim;
  m->token_embd = weight_matrix(f, "token_embd.weight", c.n_vocab, c.n_embd);
  m->output_norm = weight_vector(f, "output_norm.weight", c.n_embd);
  m->output = f.find_tensor("output.weight")
                  ? weight_matrix(f, "output.weight", c.n_vocab, c.n_embd)
                  : m->token_embd;
  for (int64_t i = 0; i < c.n_layer; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    LlamaLayer l;
    l.attn_norm = weight_vector(f, p + "attn_norm.weight", c.n_embd);
    l.ffn_norm = weight_vector(f, p + "ffn_norm.weight", c.n_embd);
    l.wq = weight_matrix(f, p + "attn_q.weight", q_dim, c.n_embd);
    l.wk = weight_matrix(f, p + "attn_k.weight", kv_dim, c.n_embd);
    l.wv = weight_matrix(f, p + "attn_v.weight", kv_dim, c.n_embd);
    l.wo = weight_matrix(f, p + "attn_output.weight", c.n_embd, q_dim);
    l.w_gate = weight_matrix(f, p + "ffn_gate.weight", c.n_ff, c.n_embd);
    l.w_up = weight_matrix(f, p + "ffn_up.weight", c.n_ff, c.n_embd);
    l.w_down = weight_matrix(f, p + "ffn_down.weight", c.n_embd, c.n_ff);
    m->layers.push_back(std::move(l));
  }
  auto pack = [&](WeightMatrix& w) {
    if (cpu::packing_q8_pays() && cpu::can_pack_q8(w.type, w.cols))
      w.packed_q8 = std::make_shared<const cpu::PackedQ8>(w.type, w.data, w.rows, w.cols);
    else if (cpu::packing_f16_pays() && w.type == GgmlType::f16)
      w.packed_f16 = std::make_shared<const cpu::PackedF16>(
          reinterpret_cast<const uint16_t*>(w.data), w.rows, w.cols);
    else if (cpu::packing_bf16_pays() && w.type == GgmlType::bf16)
      w.packed_bf16 = std::make_shared<const cpu::PackedBF16>(
          reinterpret_cast<const uint16_t*>(w.data), w.rows, w.cols);
    else
      return;
    f.evict(f.tensor_info(w.name));
  };
  for (LlamaLayer& l : m->layers)
    for (WeightMatrix* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) pack(*w);
  // A tied output matrix is also the embedding table, read a row at a time from the mapping.
  if (m->output.data != m->token_embd.data) pack(m->output);
  return m;
}

void LlamaModel::set_cross_attention(std::shared_ptr<const CrossAttention> xattn) {
  if (xattn) {
    const LlamaConfig& c = cfg_;
    // Trained with this LM's block shape (nn::LlamaLmConfig::block), so the workspace fits.
    const bool fits = xattn->n_embd() == c.n_embd && xattn->n_head() == c.n_head &&
                      c.head_dim * c.n_head == c.n_embd && xattn->n_head_kv() == c.n_head_kv &&
                      xattn->n_ff() == c.n_ff && !xattn->blocks().empty() &&
                      xattn->blocks().back().before < c.n_layer;
    if (!fits)
      throw_error(ErrorKind::invalid_input,
                  file_->path() + ": the mmproj's cross-attention blocks (width " +
                      std::to_string(xattn->n_embd()) + ", " + std::to_string(xattn->n_head()) +
                      " heads, before block " +
                      std::to_string(xattn->blocks().empty() ? -1 : xattn->blocks().back().before) +
                      ") do not fit this model (width " + std::to_string(c.n_embd) + ", " +
                      std::to_string(c.n_layer) + " blocks): it was trained with another");
  }
  xattn_ = std::move(xattn);
}

}  // namespace anymal::models
