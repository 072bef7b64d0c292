#include "models/llm/llama_forward.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/quant_matmul.h"
#include "backend/cpu/reference.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::models {

namespace {

void matmul(const WeightMatrix& w, const float* x, int64_t t, float* y, cpu::QuantScratch& s) {
  if (w.packed_q8) return cpu::packed_q8_matmul(*w.packed_q8, x, t, y, s.act);
  if (w.packed_f16) return cpu::packed_f16_matmul(*w.packed_f16, x, t, y);
  if (w.packed_bf16) return cpu::packed_bf16_matmul(*w.packed_bf16, x, t, y, s.x_bf16);
  cpu::quant_matmul(w.type, w.data, w.rows, w.cols, x, t, y, s);
}

using MatmulOuts = std::initializer_list<std::pair<const WeightMatrix*, float*>>;
constexpr size_t kMaxShared = 3;  // q, k, v

// The products of outs for one packed kernel when every weight has `member` packed in the same
// type (q8 kernels quantize x once, for one type); empty when one does not.
template <class Product, class Member>
std::span<const Product> packed_products(MatmulOuts outs, Member member,
                                         std::array<Product, kMaxShared>& p) {
  size_t n = 0;
  for (const auto& [w, y] : outs) {
    if (!(w->*member) || w->type != outs.begin()->first->type) return {};
    p[n++] = {(w->*member).get(), y};
  }
  return {p.data(), n};
}

// y_i = x · W_iᵀ for weights that read the same x (q/k/v, gate/up): packed ones of one kind
// share a parallel region (and q8 ones one quantization of x), else one matmul each.
void matmuls(MatmulOuts outs, const float* x, int64_t t, cpu::QuantScratch& s) {
  ANYMAL_ASSERT(outs.size() > 0 && outs.size() <= kMaxShared);
  std::array<cpu::PackedF16Product, kMaxShared> f16;
  std::array<cpu::PackedBF16Product, kMaxShared> bf16;
  std::array<cpu::PackedQ8Product, kMaxShared> q8;
  if (auto p = packed_products(outs, &WeightMatrix::packed_f16, f16); !p.empty())
    return cpu::packed_f16_matmul(p, x, t);
  if (auto p = packed_products(outs, &WeightMatrix::packed_bf16, bf16); !p.empty())
    return cpu::packed_bf16_matmul(p, x, t, s.x_bf16);
  if (auto p = packed_products(outs, &WeightMatrix::packed_q8, q8); !p.empty())
    return cpu::packed_q8_matmul(p, x, t, s.act);
  for (const auto& [w, y] : outs) matmul(*w, x, t, y, s);
}

void add_inplace(float* x, const float* y, int64_t n) {
  cpu::cpu_kernels().binary(cpu::BinaryOp::add, x, n, y, n, x);
}

// ws.xn = down(silu(gate(rms_norm(x))) * up(rms_norm(x))) over the first n rows of ws.x.
void swiglu_ffn(const Tensor& norm, float eps, const WeightMatrix& gate, const WeightMatrix& up,
                const WeightMatrix& down, LlamaWorkspace& ws, int64_t n) {
  const cpu::CpuKernels& kern = cpu::cpu_kernels();
  kern.rms_norm(ws.x.data(), norm.data<float>(), ws.xn.data(), n, gate.cols, eps);
  matmuls({{&gate, ws.gate.data()}, {&up, ws.up.data()}}, ws.xn.data(), n, ws.scratch);
  kern.swiglu(ws.gate.data(), ws.up.data(), ws.gate.data(), n * gate.rows);
  matmul(down, ws.gate.data(), n, ws.xn.data(), ws.scratch);
}

// The cross-attention family: rows of sequences with inputs attached go through the gated
// block (x += tanh(g_a)·attn(norm(x), memory); x += tanh(g_f)·ffn(norm(x))), other rows pass
// unchanged, as in training.
void cross_attend(const LlamaModel& m, size_t block, std::span<const SeqInput> seqs,
                  LlamaWorkspace& ws, int64_t n) {
  const CrossAttention& xa = *m.cross_attention();
  const CrossAttentionBlock& b = xa.blocks()[block];
  if (std::none_of(seqs.begin(), seqs.end(),
                   [](const SeqInput& s) { return s.cache->memory.n_tokens > 0; }))
    return;
  const cpu::CpuKernels& kern = cpu::cpu_kernels();
  const LlamaConfig& c = m.config();
  const int64_t E = c.n_embd, hd = c.head_dim, q_dim = c.n_head * hd;
  auto add_gated = [&](float gate) {  // x += gate * xn on the rows that attend
    int64_t row = 0;
    for (const SeqInput& s : seqs) {
      if (s.cache->memory.n_tokens > 0)
        for (int64_t i = row * E; i < (row + s.n) * E; ++i)
          ws.x[size_t(i)] += gate * ws.xn[size_t(i)];
      row += s.n;
    }
  };
  kern.rms_norm(ws.x.data(), b.attn_norm.data<float>(), ws.xn.data(), n, E, xa.rms_eps());
  matmul(b.wq, ws.xn.data(), n, ws.q.data(), ws.scratch);
  int64_t row = 0;
  for (const SeqInput& s : seqs) {
    const CrossMemory& mem = s.cache->memory;
    float* att = ws.att.data() + row * q_dim;
    if (mem.n_tokens == 0) {
      std::fill(att, att + s.n * q_dim, 0.0f);
    } else {
      cpu::AttentionParams ap;
      ap.batch = 1;
      ap.n_q = s.n;
      ap.n_kv = mem.n_tokens;
      ap.n_head = c.n_head;
      ap.n_kv_head = c.n_head_kv;
      ap.head_dim = hd;
      ap.scale = 1.0f / std::sqrt(float(hd));
      ap.causal = false;
      kern.attention(ap, ws.q.data() + row * q_dim, mem.k[block].data(), mem.v[block].data(), att,
                     ws.lse.data() + row * c.n_head);
    }
    row += s.n;
  }
  matmul(b.wo, ws.att.data(), n, ws.xn.data(), ws.scratch);
  add_gated(b.tanh_gate_attn);
  swiglu_ffn(b.ffn_norm, xa.rms_eps(), b.w_gate, b.w_up, b.w_down, ws, n);
  add_gated(b.tanh_gate_ffn);
}

// Rows of ws.x (the input embeddings of every sequence's rows, one sequence after another)
// through all layers; each sequence attends to its own cache. Logits of the last row of each
// sequence that wants them go to consecutive rows of `logits`, or every row's when all_logits
// (one sequence only).
void eval_rows_in_place(const LlamaModel& m, std::span<const SeqInput> seqs, LlamaWorkspace& ws,
                        bool all_logits, float* logits) {
  const LlamaConfig& c = m.config();
  const cpu::CpuKernels& kern = cpu::cpu_kernels();
  const int64_t E = c.n_embd, hd = c.head_dim, q_dim = c.n_head * hd, kv_dim = c.n_head_kv * hd;
  int64_t n = 0;
  std::vector<int64_t>& first_row = ws.first_row;  // of each sequence in ws's rows
  first_row.clear();  // reserved for n_batch sequences: no allocation per step
  for (const SeqInput& s : seqs) {
    first_row.push_back(n);
    for (int64_t i = 0; i < s.n; ++i) ws.pos[size_t(n + i)] = int32_t(s.cache->n_past + i);
    n += s.n;
  }
  // The rotations of each row's position, once for every layer.
  cpu::reference::rope_table(ws.pos.data(), n, c.n_rot, c.rope_base, ws.rope_cs.data());
  const CrossAttention* xa = m.cross_attention();
  for (size_t il = 0; il < m.layers.size(); ++il) {
    if (const CrossAttentionBlock* xb = xa ? xa->before(int64_t(il)) : nullptr)
      cross_attend(m, size_t(xb - xa->blocks().data()), seqs, ws, n);
    const LlamaLayer& l = m.layers[il];
    kern.rms_norm(ws.x.data(), l.attn_norm.data<float>(), ws.xn.data(), n, E, c.rms_eps);
    matmuls({{&l.wq, ws.q.data()}, {&l.wk, ws.k.data()}, {&l.wv, ws.v.data()}}, ws.xn.data(), n,
            ws.scratch);
    // RoPE (llama.cpp's "norm" mode: adjacent pairs) in place, K/V into the cache, attention.
    auto attend = [&](const SeqInput& s, int64_t row) {
      const int64_t past = s.cache->n_past;
      float* kc = s.cache->k[il].data();
      float* vc = s.cache->v[il].data();
      float* q = ws.q.data() + row * q_dim;
      const double* cs = ws.rope_cs.data() + row * (c.n_rot / 2) * 2;
      kern.rope_apply(q, q, cs, 1, s.n, c.n_head, hd, c.n_rot, false, false);
      kern.rope_apply(ws.k.data() + row * kv_dim, kc + past * kv_dim, cs, 1, s.n, c.n_head_kv, hd,
                      c.n_rot, false, false);
      std::memcpy(vc + past * kv_dim, ws.v.data() + row * kv_dim,
                  size_t(s.n * kv_dim) * sizeof(float));
      cpu::AttentionParams ap;
      ap.batch = 1;
      ap.n_q = s.n;
      ap.n_kv = past + s.n;
      ap.n_head = c.n_head;
      ap.n_kv_head = c.n_head_kv;
      ap.head_dim = hd;
      ap.scale = 1.0f / std::sqrt(float(hd));
      ap.causal = true;
      kern.attention(ap, q, kc, vc, ws.att.data() + row * q_dim, ws.lse.data() + row * c.n_head);
    };
    // Several sequences of one row (decode steps) share one parallel region, a sequence each
    // (their kernels then run inline): a region per sequence costs more than its work. A lone
    // one, and longer ones (prefill), get regions of their own, over heads.
    const int64_t n_single =
        std::count_if(seqs.begin(), seqs.end(), [](const SeqInput& s) { return s.n == 1; });
    if (n_single > 1)
      parallel_for(int64_t(seqs.size()), grain_per_thread(int64_t(seqs.size())),
                   [&](int64_t lo, int64_t hi) {
                     for (int64_t i = lo; i < hi; ++i)
                       if (seqs[size_t(i)].n == 1) attend(seqs[size_t(i)], first_row[size_t(i)]);
                   });
    for (size_t i = 0; i < seqs.size(); ++i)
      if (seqs[i].n > 1 || n_single == 1) attend(seqs[i], first_row[i]);
    matmul(l.wo, ws.att.data(), n, ws.xn.data(), ws.scratch);
    add_inplace(ws.x.data(), ws.xn.data(), n * E);
    swiglu_ffn(l.ffn_norm, c.rms_eps, l.w_gate, l.w_up, l.w_down, ws, n);
    add_inplace(ws.x.data(), ws.xn.data(), n * E);
  }
  // Only the rows whose logits are wanted go through the (large) output matrix.
  int64_t rows = 0;
  if (all_logits) {
    kern.rms_norm(ws.x.data(), m.output_norm.data<float>(), ws.xn.data(), n, E, c.rms_eps);
    rows = n;
  } else {
    int64_t end = 0;
    for (const SeqInput& s : seqs) {
      end += s.n;
      if (!s.want_logits) continue;
      kern.rms_norm(ws.x.data() + (end - 1) * E, m.output_norm.data<float>(),
                    ws.xn.data() + rows * E, 1, E, c.rms_eps);
      ++rows;
    }
  }
  if (rows > 0) matmul(m.output, ws.xn.data(), rows, logits, ws.scratch);
  for (const SeqInput& s : seqs) s.cache->n_past += s.n;
}

// The input rows of seqs into ws.x: token embeddings (widened) or the given embeddings.
void load_inputs(const LlamaModel& m, std::span<const SeqInput> seqs, LlamaWorkspace& ws) {
  const int64_t E = m.config().n_embd;
  int64_t row = 0;
  for (const SeqInput& s : seqs) {
    float* x = ws.x.data() + row * E;
    if (s.embd)
      std::memcpy(x, s.embd, size_t(s.n * E) * sizeof(float));
    else
      llama_token_embeddings(m, s.tokens, s.n, x);
    row += s.n;
  }
}

}  // namespace

KvCache::KvCache(const LlamaConfig& c, int64_t ctx) : n_ctx(ctx) {
  size_t per_layer = size_t(ctx * c.n_head_kv * c.head_dim);
  k.assign(size_t(c.n_layer), std::vector<float>(per_layer));
  v.assign(size_t(c.n_layer), std::vector<float>(per_layer));
}

LlamaWorkspace::LlamaWorkspace(const LlamaConfig& c, int64_t nb) : n_batch(nb) {
  const int64_t q_dim = c.n_head * c.head_dim, kv_dim = c.n_head_kv * c.head_dim;
  auto sized = [](std::vector<float>& b, int64_t n) { b.assign(size_t(n), 0.0f); };
  sized(x, nb * c.n_embd);
  sized(xn, nb * std::max(c.n_embd, q_dim));
  sized(q, nb * q_dim);
  sized(k, nb * kv_dim);
  sized(v, nb * kv_dim);
  sized(att, nb * q_dim);
  sized(lse, nb * c.n_head);
  sized(gate, nb * c.n_ff);
  sized(up, nb * c.n_ff);
  pos.assign(size_t(nb), 0);
  rope_cs.assign(size_t(nb * (c.n_rot / 2) * 2), 0.0);
  first_row.reserve(size_t(nb));
}

namespace {

void check_fits(const KvCache& cache, int64_t n) {
  if (n <= 0) throw_error(ErrorKind::invalid_input, "llama: no tokens to evaluate");
  if (cache.n_past + n > cache.n_ctx)
    throw_error(ErrorKind::invalid_input, "llama: " + std::to_string(cache.n_past + n) +
                                              " tokens exceed the context of " +
                                              std::to_string(cache.n_ctx));
}

void eval_rows(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const int32_t* tokens,
               const float* embd, int64_t n, bool all_logits, float* logits) {
  const LlamaConfig& c = m.config();
  check_fits(cache, n);
  for (int64_t i = 0; tokens && i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= c.n_vocab)
      throw_error(ErrorKind::invalid_input, "llama: token " + std::to_string(tokens[i]) +
                                                " is out of range [0, " +
                                                std::to_string(c.n_vocab) + ")");
  for (int64_t done = 0; done < n; done += ws.n_batch) {
    SeqInput s;
    s.cache = &cache;
    s.n = std::min(ws.n_batch, n - done);
    s.tokens = tokens ? tokens + done : nullptr;
    s.embd = embd ? embd + done * c.n_embd : nullptr;
    s.want_logits = true;
    bool last = done + s.n == n;
    float* out = all_logits ? logits + done * c.n_vocab : logits;
    if (!all_logits && !last) {  // earlier chunks only fill the cache; logits go to scratch
      ws.logits.resize(size_t(c.n_vocab));
      out = ws.logits.data();
    }
    load_inputs(m, {&s, 1}, ws);
    eval_rows_in_place(m, {&s, 1}, ws, all_logits, out);
  }
}

}  // namespace

void llama_eval_batch(const LlamaModel& m, std::span<const SeqInput> seqs, LlamaWorkspace& ws,
                      float* logits) {
  int64_t rows = 0;
  for (const SeqInput& s : seqs) {
    ANYMAL_ASSERT(s.cache && (s.tokens == nullptr) != (s.embd == nullptr));
    check_fits(*s.cache, s.n);
    for (const SeqInput& other : seqs)
      ANYMAL_ASSERT(&other == &s || other.cache != s.cache);  // one entry per sequence
    rows += s.n;
  }
  if (rows > ws.n_batch)
    throw_error(ErrorKind::invalid_input, "llama: a batch of " + std::to_string(rows) +
                                              " rows exceeds the workspace's " +
                                              std::to_string(ws.n_batch));
  if (rows == 0) return;
  load_inputs(m, seqs, ws);  // validates token ids before any cache changes
  eval_rows_in_place(m, seqs, ws, false, logits);
}

void llama_token_embeddings(const LlamaModel& m, const int32_t* tokens, int64_t n, float* out) {
  const int64_t E = m.config().n_embd;
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= m.config().n_vocab)
      throw_error(ErrorKind::invalid_input, "llama: token " + std::to_string(tokens[i]) +
                                                " is out of range [0, " +
                                                std::to_string(m.config().n_vocab) + ")");
    cpu::dequantize_row(m.token_embd.type,
                        m.token_embd.data + size_t(tokens[i]) * m.token_embd.row_bytes(),
                        out + i * E, E);
  }
}

void llama_eval(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const int32_t* tokens,
                int64_t n, bool all_logits, float* logits) {
  eval_rows(m, cache, ws, tokens, nullptr, n, all_logits, logits);
}

void llama_eval_embd(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const float* embd,
                     int64_t n, bool all_logits, float* logits) {
  eval_rows(m, cache, ws, nullptr, embd, n, all_logits, logits);
}

}  // namespace anymal::models
