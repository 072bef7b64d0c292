#include "models/anymal/anymal_model.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::models {

namespace {

constexpr int64_t kClipDim = 64;

}  // namespace

AnymalModel::AnymalModel(const AnymalConfig& cfg, Rng& rng)
    : vit(cfg.vit, rng),
      lm(cfg.lm, rng),
      clip_img(cfg.vit.dim, kClipDim, false, rng),
      clip_txt(cfg.lm.dim, kClipDim, false, rng),
      cfg_(cfg) {
  register_module("v", vit);
  if (cfg.projector == "mlp") {
    mlp = std::make_unique<nn::MlpProjector>(
        cfg.vit.dim, cfg.proj_hidden > 0 ? cfg.proj_hidden : cfg.lm.dim, cfg.lm.dim, rng);
    register_module("mm", *mlp);
  } else {
    nn::PerceiverConfig p;
    p.n_in = cfg.vit.dim;
    p.dim = cfg.proj_hidden > 0 ? cfg.proj_hidden : cfg.lm.dim;
    p.n_out = cfg.lm.dim;
    p.n_queries = cfg.perceiver_queries;
    p.n_layers = cfg.perceiver_layers;
    p.n_heads = cfg.perceiver_heads;
    p.n_ff = 4 * p.dim;
    perceiver = std::make_unique<nn::PerceiverResampler>(p, rng);
    register_module("mm.perceiver", *perceiver);
  }
  register_module("", lm);
  register_module("clip_head.img", clip_img);
  register_module("clip_head.txt", clip_txt);
  // The other towers last, so a config without them initializes exactly as before.
  if (cfg.audio.present()) {
    audio = std::make_unique<nn::SignalTower>(cfg.audio_tower(), cfg.lm.dim, rng);
    clip_audio = std::make_unique<nn::Linear>(cfg.audio.dim, kClipDim, false, rng);
    register_module("a", audio->encoder);
    register_module(audio->mlp ? "mm.a.mlp" : "mm.a.perceiver", audio->projector());
    register_module("clip_head.audio", *clip_audio);
  }
  if (cfg.imu.present()) {
    imu = std::make_unique<nn::SignalTower>(cfg.imu_tower(), cfg.lm.dim, rng);
    clip_imu = std::make_unique<nn::Linear>(cfg.imu.dim, kClipDim, false, rng);
    register_module("imu", imu->encoder);
    register_module(imu->mlp ? "mm.imu.mlp" : "mm.imu.perceiver", imu->projector());
    register_module("clip_head.imu", *clip_imu);
  }
  for (int64_t layer : cfg.xattn_layers()) {
    xattn.push_back(std::make_unique<nn::GatedCrossAttention>(cfg.lm.block(), rng));
    register_module("xattn." + std::to_string(layer), *xattn.back());
  }
}

int64_t AnymalModel::n_image_tokens() const {
  return mlp ? cfg_.vit.n_patches() : cfg_.perceiver_queries;
}

const nn::SignalTower& AnymalModel::tower(Modality m) const {
  const auto& t = m == Modality::audio ? audio : imu;
  if (!t)
    throw_error(ErrorKind::invalid_input, std::string("the model has no ") + modality_name(m) +
                                              " tower (model." + modality_name(m) +
                                              " in the config)");
  return *t;
}

int64_t AnymalModel::n_media_tokens(Modality m) const {
  if (m == Modality::none) return 0;
  if (m == Modality::image) return n_image_tokens();
  return tower(m).config().n_tokens;
}

Tensor AnymalModel::image_tokens(const Tensor& pixels) const {
  Tensor f = vit.features(pixels);
  return mlp ? mlp->forward(f) : perceiver->forward(f);
}

Tensor AnymalModel::media_tokens(Modality m, const Tensor& inputs) const {
  return m == Modality::image ? image_tokens(inputs) : tower(m).tokens(inputs);
}

std::vector<Modality> MultimodalExample::inputs() const {
  std::vector<Modality> out;
  if (media != Modality::none) out.push_back(media);
  for (const MediaText& m : more) out.push_back(m.media);
  return out;
}

int64_t MultimodalExample::n_targets() const {
  if (target.empty()) return int64_t(answer.size());
  return int64_t(std::count(target.begin(), target.end(), uint8_t{1}));
}

int64_t MultimodalExample::n_text() const {
  int64_t n = int64_t(before.size() + after.size());
  for (const MediaText& m : more) n += int64_t(m.text.size());
  return n;
}

int64_t AnymalModel::n_media_positions(Modality m) const {
  return xattn.empty() ? n_media_tokens(m) : 0;
}

int64_t AnymalModel::prefix_length(const MultimodalExample& ex) const {
  int64_t n = ex.n_text();
  for (Modality m : ex.inputs()) n += n_media_positions(m);
  return n;
}

Tensor AnymalModel::run_lm(const Tensor& h, const std::vector<Tensor>& memory) const {
  if (xattn.empty()) return lm.forward_embeddings(h);
  const std::vector<int64_t> layers = cfg_.xattn_layers();
  // One batched block when every row has the same number of input tokens; else row by row
  // (a row without inputs passes unchanged: its gated blocks add nothing).
  bool uniform = true;
  for (const Tensor& m : memory) uniform = uniform && m.defined() && m.dim(1) == memory[0].dim(1);
  const Tensor stacked =
      uniform ? (memory.size() == 1 ? memory[0] : ops::concat(memory, 0)) : Tensor();
  auto hook = [&](int64_t block, const Tensor& x) -> Tensor {
    const auto at = std::find(layers.begin(), layers.end(), block);
    if (at == layers.end()) return x;
    const nn::GatedCrossAttention& xa = *xattn[size_t(at - layers.begin())];
    if (uniform) return xa.forward(x, stacked);
    std::vector<Tensor> rows;
    for (size_t b = 0; b < memory.size(); ++b) {
      const Tensor row = ops::slice(x, 0, int64_t(b), int64_t(b) + 1);
      rows.push_back(memory[b].defined() ? xa.forward(row, memory[b]) : row);
    }
    return rows.size() == 1 ? rows[0] : ops::concat(rows, 0);
  };
  return lm.forward_embeddings(h, hook);
}

Tensor AnymalModel::sequence(const MultimodalExample& ex, const std::vector<Tensor>& inputs,
                             int64_t pad_to, int32_t pad_id) const {
  std::vector<Tensor> parts;
  auto text = [&](const std::vector<int32_t>& ids) {
    if (ids.empty()) return;
    const int64_t n = int64_t(ids.size());
    parts.push_back(lm.embed(Tensor::from_ints(ids, Shape{1, n})));
  };
  size_t next = 0;
  text(ex.before);
  // With cross-attention the inputs take no positions: the text runs join up.
  const bool spliced = xattn.empty();
  if (ex.media != Modality::none && spliced) parts.push_back(inputs[next++]);
  std::vector<int32_t> pending = ex.after;  // text runs joined up to the next input
  for (const auto& m : ex.more) {
    if (spliced) {
      text(pending);
      parts.push_back(inputs[next++]);
      pending.clear();
    }
    pending.insert(pending.end(), m.text.begin(), m.text.end());
  }
  pending.insert(pending.end(), ex.answer.begin(), ex.answer.end());
  int64_t len = prefix_length(ex) + int64_t(ex.answer.size());
  // The last answer token is only a target; padding fills up to pad_to.
  pending.pop_back();
  --len;
  for (; len < pad_to; ++len) pending.push_back(pad_id);
  text(pending);
  return parts.size() == 1 ? parts[0] : ops::concat(parts, 1);
}

Tensor AnymalModel::loss(const std::vector<MultimodalExample>& batch,
                         const MediaBatch& media) const {
  if (batch.empty()) throw_error(ErrorKind::invalid_input, "loss: empty batch");
  // Each modality's inputs through its tower in one batch.
  std::map<Modality, Tensor> tokens;
  std::map<Modality, int64_t> used;
  for (const auto& ex : batch)
    for (Modality m : ex.inputs()) ++used[m];
  for (const auto& [m, n] : used) {
    const Tensor& in = media.of(m);
    if (!in.defined() || in.dim(0) != n)
      throw_error(ErrorKind::invalid_input, "loss: " + std::to_string(n) + " inputs are " +
                                                modality_name(m) + " but the batch holds " +
                                                (in.defined() ? in.shape().str() : "none"));
    tokens[m] = media_tokens(m, in);
    used[m] = 0;
  }
  int64_t T = 0;
  for (const auto& ex : batch) {
    if (ex.answer.empty()) throw_error(ErrorKind::invalid_input, "loss: an example has no answer");
    T = std::max(T, prefix_length(ex) + int64_t(ex.answer.size()) - 1);
  }
  std::vector<Tensor> rows, memory;
  std::vector<int32_t> targets;
  for (const auto& ex : batch) {
    std::vector<Tensor> inputs;
    for (Modality m : ex.inputs()) {
      const int64_t i = used[m]++;
      inputs.push_back(ops::slice(tokens[m], 0, i, i + 1));
    }
    rows.push_back(sequence(ex, inputs, T, 0));
    memory.push_back(inputs.empty()       ? Tensor()
                     : inputs.size() == 1 ? inputs[0]
                                          : ops::concat(inputs, 1));
    // Targets: -100 up to the position before the first answer token, then the answer.
    const int64_t prefix = prefix_length(ex);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t k = t + 1 - prefix;  // answer index this position predicts
      const bool learn = k >= 0 && k < int64_t(ex.answer.size()) && ex.is_target(size_t(k));
      targets.push_back(learn ? ex.answer[size_t(k)] : -100);
    }
  }
  Tensor h = rows.size() == 1 ? rows[0] : ops::concat(rows, 0);
  Tensor logits = run_lm(h, memory);
  return ops::cross_entropy(ops::reshape(logits, {-1, cfg_.lm.vocab}),
                            Tensor::from_ints(targets, Shape{int64_t(targets.size())}));
}

Tensor AnymalModel::logits(const MultimodalExample& ex, const MediaBatch& media) const {
  std::vector<Tensor> inputs;
  std::map<Modality, int64_t> used;
  for (Modality m : ex.inputs()) {
    const int64_t i = used[m]++;
    inputs.push_back(media_tokens(m, ops::slice(media.of(m), 0, i, i + 1)));
  }
  MultimodalExample full = ex;
  full.answer.push_back(0);  // sequence() drops the last answer token: keep them all
  const int64_t T = prefix_length(ex) + int64_t(ex.answer.size());
  const Tensor memory = inputs.empty()       ? Tensor()
                        : inputs.size() == 1 ? inputs[0]
                                             : ops::concat(inputs, 1);
  return run_lm(sequence(full, inputs, T, 0), {memory});
}

void AnymalModel::set_compute_dtype(DType dtype) {
  auto block = [&](nn::TransformerBlock& b) {
    for (nn::Linear* l : {&b.attn.q, &b.attn.k, &b.attn.v, &b.attn.o, &b.mlp.up, &b.mlp.down})
      l->set_compute_dtype(dtype);
    if (b.mlp.gate) b.mlp.gate->set_compute_dtype(dtype);
  };
  for (auto& b : lm.blocks) block(*b);
  for (auto& b : vit.blocks) block(*b);
  lm.output.set_compute_dtype(dtype);
  for (auto& x : xattn) {
    for (nn::Linear* l : {&x->q, &x->k, &x->v, &x->o, &x->mlp.up, &x->mlp.down})
      l->set_compute_dtype(dtype);
    if (x->mlp.gate) x->mlp.gate->set_compute_dtype(dtype);
  }
  if (mlp) mlp->set_compute_dtype(dtype);
  for (nn::SignalTower* t : {audio.get(), imu.get()})
    if (t) {
      for (auto& b : t->encoder.blocks) block(*b);
      if (t->mlp) t->mlp->set_compute_dtype(dtype);
    }
}

Tensor AnymalModel::clip_loss(const std::vector<std::vector<int32_t>>& captions, Modality m,
                              const Tensor& inputs) const {
  const int64_t B = int64_t(captions.size());
  if (B < 2 || !inputs.defined() || inputs.dim(0) != B)
    throw_error(ErrorKind::invalid_input,
                "clip_loss: needs a batch of at least 2 inputs with one caption each");
  std::vector<Tensor> texts;
  for (const auto& c : captions) {
    if (c.empty()) throw_error(ErrorKind::invalid_input, "clip_loss: empty caption");
    texts.push_back(ops::mean(lm.embed(Tensor::from_ints(c, Shape{1, int64_t(c.size())})), 1));
  }
  Tensor feature;
  if (m == Modality::image)
    feature = clip_img.forward(vit.pooled(inputs));
  else if (m == Modality::audio || m == Modality::imu)
    feature = (m == Modality::audio ? clip_audio : clip_imu)->forward(tower(m).pooled(inputs));
  else
    throw_error(ErrorKind::invalid_input, "clip_loss: text has no tower");
  const Tensor ones = Tensor::full({kClipDim}, 1.0f);
  // rms_norm makes |x| = sqrt(d): a·b / d is the cosine.
  Tensor a = ops::rms_norm(feature, ones, 1e-6f);
  Tensor b = ops::rms_norm(clip_txt.forward(ops::concat(texts, 0)), ones, 1e-6f);
  Tensor sim = ops::scale(ops::matmul(a, b, false, true), 1.0f / (0.07f * float(kClipDim)));
  std::vector<int32_t> diag(static_cast<size_t>(B));
  for (int64_t i = 0; i < B; ++i) diag[size_t(i)] = int32_t(i);
  const Tensor targets = Tensor::from_ints(diag, Shape{B});
  return ops::scale(
      ops::add(ops::cross_entropy(sim, targets),
               ops::cross_entropy(ops::contiguous(ops::transpose(sim, 0, 1)), targets)),
      0.5f);
}

}  // namespace anymal::models
