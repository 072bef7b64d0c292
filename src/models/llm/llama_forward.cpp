#include "models/llm/llama_forward.h"

#include <cmath>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/quant_matmul.h"
#include "backend/cpu/reference.h"
#include "core/error.h"

namespace anymal::models {

namespace {

void matmul(const WeightMatrix& w, const float* x, int64_t t, float* y, cpu::QuantScratch& s) {
  cpu::quant_matmul(w.type, w.data, w.rows, w.cols, x, t, y, s);
}

void add_inplace(float* x, const float* y, int64_t n) {
  cpu::cpu_kernels().binary(cpu::BinaryOp::add, x, n, y, n, x);
}

// One chunk of at most ws.n_batch tokens.
// The chunk's input rows are token embeddings (tokens) or given embeddings (embd [n, n_embd]).
void eval_chunk(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const int32_t* tokens,
                const float* embd, int64_t n, bool all_logits, float* logits) {
  const LlamaConfig& c = m.config();
  const cpu::CpuKernels& kern = cpu::cpu_kernels();
  const int64_t E = c.n_embd, hd = c.head_dim, kv_dim = c.n_head_kv * hd;
  const int64_t n_past = cache.n_past;
  for (int64_t i = 0; i < n; ++i) {
    ws.pos[size_t(i)] = int32_t(n_past + i);
    if (embd) {
      std::memcpy(ws.x.data() + i * E, embd + i * E, size_t(E) * sizeof(float));
      continue;
    }
    cpu::dequantize_row(m.token_embd.type,
                        m.token_embd.data + size_t(tokens[i]) * m.token_embd.row_bytes(),
                        ws.x.data() + i * E, E);
  }
  cpu::AttentionParams ap;
  ap.batch = 1;
  ap.n_q = n;
  ap.n_kv = n_past + n;
  ap.n_head = c.n_head;
  ap.n_kv_head = c.n_head_kv;
  ap.head_dim = hd;
  ap.scale = 1.0f / std::sqrt(float(hd));
  ap.causal = true;
  for (size_t il = 0; il < m.layers.size(); ++il) {
    const LlamaLayer& l = m.layers[il];
    float* kc = cache.k[il].data();
    float* vc = cache.v[il].data();
    kern.rms_norm(ws.x.data(), l.attn_norm.data<float>(), ws.xn.data(), n, E, c.rms_eps);
    matmul(l.wq, ws.xn.data(), n, ws.q.data(), ws.scratch);
    matmul(l.wk, ws.xn.data(), n, ws.k.data(), ws.scratch);
    matmul(l.wv, ws.xn.data(), n, ws.v.data(), ws.scratch);
    // RoPE (llama.cpp's "norm" mode: adjacent pairs) in place, then K/V into the cache.
    cpu::reference::rope(ws.q.data(), ws.q.data(), ws.pos.data(), 1, n, c.n_head, hd, c.n_rot,
                         c.rope_base, false, false);
    cpu::reference::rope(ws.k.data(), kc + n_past * kv_dim, ws.pos.data(), 1, n, c.n_head_kv, hd,
                         c.n_rot, c.rope_base, false, false);
    std::memcpy(vc + n_past * kv_dim, ws.v.data(), size_t(n * kv_dim) * sizeof(float));
    kern.attention(ap, ws.q.data(), kc, vc, ws.att.data(), ws.lse.data());
    matmul(l.wo, ws.att.data(), n, ws.xn.data(), ws.scratch);
    add_inplace(ws.x.data(), ws.xn.data(), n * E);
    kern.rms_norm(ws.x.data(), l.ffn_norm.data<float>(), ws.xn.data(), n, E, c.rms_eps);
    matmul(l.w_gate, ws.xn.data(), n, ws.gate.data(), ws.scratch);
    matmul(l.w_up, ws.xn.data(), n, ws.up.data(), ws.scratch);
    kern.swiglu(ws.gate.data(), ws.up.data(), ws.gate.data(), n * c.n_ff);
    matmul(l.w_down, ws.gate.data(), n, ws.xn.data(), ws.scratch);
    add_inplace(ws.x.data(), ws.xn.data(), n * E);
  }
  // Only the rows whose logits are wanted go through the (large) output matrix.
  int64_t first = all_logits ? 0 : n - 1, rows = n - first;
  kern.rms_norm(ws.x.data() + first * E, m.output_norm.data<float>(), ws.xn.data(), rows, E,
                c.rms_eps);
  matmul(m.output, ws.xn.data(), rows, logits, ws.scratch);
  cache.n_past += n;
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
}

namespace {

void eval_rows(const LlamaModel& m, KvCache& cache, LlamaWorkspace& ws, const int32_t* tokens,
               const float* embd, int64_t n, bool all_logits, float* logits) {
  const LlamaConfig& c = m.config();
  if (n <= 0) throw_error(ErrorKind::invalid_input, "llama: no tokens to evaluate");
  if (cache.n_past + n > cache.n_ctx)
    throw_error(ErrorKind::invalid_input, "llama: " + std::to_string(cache.n_past + n) +
                                              " tokens exceed the context of " +
                                              std::to_string(cache.n_ctx));
  for (int64_t i = 0; tokens && i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= c.n_vocab)
      throw_error(ErrorKind::invalid_input, "llama: token " + std::to_string(tokens[i]) +
                                                " is out of range [0, " +
                                                std::to_string(c.n_vocab) + ")");
  for (int64_t done = 0; done < n; done += ws.n_batch) {
    int64_t chunk = std::min(ws.n_batch, n - done);
    bool last = done + chunk == n;
    float* out = all_logits ? logits + done * c.n_vocab : logits;
    if (!all_logits && !last) {  // earlier chunks only fill the cache; logits go to scratch
      ws.logits.resize(size_t(c.n_vocab));
      out = ws.logits.data();
    }
    eval_chunk(m, cache, ws, tokens ? tokens + done : nullptr,
               embd ? embd + done * c.n_embd : nullptr, chunk, all_logits, out);
  }
}

}  // namespace

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
