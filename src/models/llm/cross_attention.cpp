#include "models/llm/cross_attention.h"

#include <cmath>

#include "backend/cpu/quant_matmul.h"
#include "core/error.h"

namespace anymal::models {

void CrossMemory::clear() {  // keeps the buffers for the sequence's next inputs
  n_tokens = 0;
  for (auto& b : k) b.clear();
  for (auto& b : v) b.clear();
}

std::shared_ptr<const CrossAttention> CrossAttention::from_gguf(std::shared_ptr<GgufFile> file) {
  const GgufFile& f = *file;
  const std::string p = "anymal.xattn.";
  if (!f.find(p + "layers")) return nullptr;
  auto x = std::make_shared<CrossAttention>();
  auto positive = [&](const std::string& key) {
    const int64_t v = f.get_int(p + key);
    if (v <= 0 || v > (int64_t(1) << 20))
      throw_error(ErrorKind::invalid_input,
                  f.path() + ": " + p + key + " = " + std::to_string(v) + " is out of range");
    return v;
  };
  x->file_ = file;
  x->n_embd_ = positive("embedding_length");
  x->n_head_ = positive("head_count");
  x->n_head_kv_ = positive("head_count_kv");
  x->n_ff_ = positive("feed_forward_length");
  x->eps_ = float(f.get_float(p + "layer_norm_rms_epsilon", 1e-5));
  if (x->n_embd_ % x->n_head_ || x->n_head_ % x->n_head_kv_)
    throw_error(ErrorKind::invalid_input, f.path() + ": " + p +
                                              "head_count must divide embedding_length and be a "
                                              "multiple of head_count_kv");
  const GgufArray& layers = f.get_array(p + "layers");
  if (layers.ints.empty() || layers.ints.size() != layers.size())
    throw_error(ErrorKind::invalid_input, f.path() + ": " + p + "layers must list LM blocks");
  const int64_t E = x->n_embd_, hd = E / x->n_head_, kv = x->n_head_kv_ * hd, F = x->n_ff_;
  for (size_t i = 0; i < layers.ints.size(); ++i) {
    const int64_t L = layers.ints[i];
    if (L < 0 || (i > 0 && L <= layers.ints[i - 1]))
      throw_error(ErrorKind::invalid_input,
                  f.path() + ": " + p + "layers must be ascending block indices");
    const std::string t = "xattn." + std::to_string(L) + ".";
    CrossAttentionBlock b;
    b.before = L;
    b.attn_norm = weight_vector(f, t + "attn_norm.weight", E);
    b.ffn_norm = weight_vector(f, t + "ffn_norm.weight", E);
    b.wq = weight_matrix(f, t + "attn_q.weight", E, E);
    b.wk = weight_matrix(f, t + "attn_k.weight", kv, E);
    b.wv = weight_matrix(f, t + "attn_v.weight", kv, E);
    b.wo = weight_matrix(f, t + "attn_output.weight", E, E);
    b.w_gate = weight_matrix(f, t + "ffn_gate.weight", F, E);
    b.w_up = weight_matrix(f, t + "ffn_up.weight", F, E);
    b.w_down = weight_matrix(f, t + "ffn_down.weight", E, F);
    b.tanh_gate_attn = std::tanh(weight_vector(f, t + "gate_attn", 1).data<float>()[0]);
    b.tanh_gate_ffn = std::tanh(weight_vector(f, t + "gate_ffn", 1).data<float>()[0]);
    x->blocks_.push_back(std::move(b));
  }
  return x;
}

const CrossAttentionBlock* CrossAttention::before(int64_t layer) const {
  for (const CrossAttentionBlock& b : blocks_)
    if (b.before == layer) return &b;
  return nullptr;
}

void CrossAttention::attach(CrossMemory& memory, const float* embd, int64_t n) const {
  if (n <= 0) return;
  const int64_t kv = n_head_kv_ * (n_embd_ / n_head_);
  memory.k.resize(blocks_.size());
  memory.v.resize(blocks_.size());
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const CrossAttentionBlock& b = blocks_[i];
    for (auto [w, out] : {std::pair{&b.wk, &memory.k[i]}, {&b.wv, &memory.v[i]}}) {
      out->resize(size_t((memory.n_tokens + n) * kv));
      cpu::quant_matmul(w->type, w->data, w->rows, w->cols, embd, n,
                        out->data() + memory.n_tokens * kv);
    }
  }
  memory.n_tokens += n;
}

}  // namespace anymal::models
