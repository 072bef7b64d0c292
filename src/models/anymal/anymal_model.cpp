#include "models/anymal/anymal_model.h"

#include <set>

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::models {

namespace {

constexpr int64_t kClipDim = 64;

// Reads json[key] into `out` when present, checking it is a positive integer.
void read_int(const nlohmann::json& j, const char* key, int64_t& out, const std::string& where) {
  if (!j.contains(key)) return;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0)
    throw_error(ErrorKind::invalid_input, where + ": " + key + " must be a positive integer");
  out = j[key].get<int64_t>();
}

void read_float(const nlohmann::json& j, const char* key, float& out, const std::string& where) {
  if (!j.contains(key)) return;
  if (!j[key].is_number() || !(j[key].get<double>() > 0))
    throw_error(ErrorKind::invalid_input, where + ": " + key + " must be a positive number");
  out = j[key].get<float>();
}

void reject_unknown(const nlohmann::json& j, const std::set<std::string>& known,
                    const std::string& where) {
  if (!j.is_object()) throw_error(ErrorKind::invalid_input, where + " must be an object");
  for (const auto& [k, v] : j.items())
    if (!known.count(k)) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      throw_error(ErrorKind::invalid_input,
                  where + ": unknown key \"" + k + "\" (known: " + list + ")");
    }
}

}  // namespace

nlohmann::json AnymalConfig::to_json() const {
  return {{"lm",
           {{"vocab", lm.vocab},
            {"dim", lm.dim},
            {"n_layer", lm.n_layer},
            {"n_head", lm.n_head},
            {"n_kv_head", lm.n_kv_head > 0 ? lm.n_kv_head : lm.n_head},
            {"ff", lm.ff},
            {"ctx", lm.ctx},
            {"rope_base", lm.rope_base},
            {"norm_eps", lm.norm_eps}}},
          {"vit",
           {{"image_size", vit.image_size},
            {"patch", vit.patch},
            {"dim", vit.dim},
            {"n_layer", vit.n_layer},
            {"n_head", vit.n_head},
            {"ff", vit.ff},
            {"eps", vit.eps},
            {"act", vit.quick_gelu ? "quick_gelu" : "gelu"}}},
          {"projector", projector},
          {"proj_hidden", proj_hidden > 0 ? proj_hidden : lm.dim},
          {"perceiver_queries", perceiver_queries},
          {"perceiver_layers", perceiver_layers},
          {"perceiver_heads", perceiver_heads},
          {"mean", mean},
          {"std", std}};
}

AnymalConfig AnymalConfig::from_json(const nlohmann::json& j, const std::string& where) {
  AnymalConfig c;
  reject_unknown(j,
                 {"lm", "vit", "projector", "proj_hidden", "perceiver_queries", "perceiver_layers",
                  "perceiver_heads", "mean", "std"},
                 where);
  if (!j.contains("lm") || !j.contains("vit"))
    throw_error(ErrorKind::invalid_input, where + ": needs both \"lm\" and \"vit\"");
  const nlohmann::json &l = j["lm"], &v = j["vit"];
  const std::string lw = where + ".lm", vw = where + ".vit";
  reject_unknown(
      l, {"vocab", "dim", "n_layer", "n_head", "n_kv_head", "ff", "ctx", "rope_base", "norm_eps"},
      lw);
  for (const char* k : {"vocab", "dim", "n_layer", "n_head", "ff"})
    if (!l.contains(k)) throw_error(ErrorKind::invalid_input, lw + ": missing " + k);
  read_int(l, "vocab", c.lm.vocab, lw);
  read_int(l, "dim", c.lm.dim, lw);
  read_int(l, "n_layer", c.lm.n_layer, lw);
  read_int(l, "n_head", c.lm.n_head, lw);
  c.lm.n_kv_head = c.lm.n_head;
  read_int(l, "n_kv_head", c.lm.n_kv_head, lw);
  read_int(l, "ff", c.lm.ff, lw);
  read_int(l, "ctx", c.lm.ctx, lw);
  read_float(l, "rope_base", c.lm.rope_base, lw);
  read_float(l, "norm_eps", c.lm.norm_eps, lw);
  if (c.lm.dim % c.lm.n_head || c.lm.n_head % c.lm.n_kv_head || (c.lm.dim / c.lm.n_head) % 2)
    throw_error(ErrorKind::invalid_input,
                lw + ": dim must split into n_head even-sized heads, n_head into n_kv_head groups");
  reject_unknown(v, {"image_size", "patch", "dim", "n_layer", "n_head", "ff", "eps", "act"}, vw);
  if (v.contains("act")) {
    if (v["act"] != "gelu" && v["act"] != "quick_gelu")
      throw_error(ErrorKind::invalid_input, vw + ": act must be \"gelu\" or \"quick_gelu\"");
    c.vit.quick_gelu = v["act"] == "quick_gelu";
  }
  for (const char* k : {"image_size", "patch", "dim", "n_layer", "n_head", "ff"})
    if (!v.contains(k)) throw_error(ErrorKind::invalid_input, vw + ": missing " + k);
  read_int(v, "image_size", c.vit.image_size, vw);
  read_int(v, "patch", c.vit.patch, vw);
  read_int(v, "dim", c.vit.dim, vw);
  read_int(v, "n_layer", c.vit.n_layer, vw);
  read_int(v, "n_head", c.vit.n_head, vw);
  read_int(v, "ff", c.vit.ff, vw);
  read_float(v, "eps", c.vit.eps, vw);
  if (c.vit.image_size % c.vit.patch || c.vit.dim % c.vit.n_head)
    throw_error(ErrorKind::invalid_input,
                vw + ": image_size must be a multiple of patch, dim of n_head");
  if (j.contains("projector")) {
    if (!j["projector"].is_string() || (j["projector"] != "mlp" && j["projector"] != "perceiver"))
      throw_error(ErrorKind::invalid_input, where + ": projector must be \"mlp\" or \"perceiver\"");
    c.projector = j["projector"].get<std::string>();
  }
  read_int(j, "proj_hidden", c.proj_hidden, where);
  read_int(j, "perceiver_queries", c.perceiver_queries, where);
  read_int(j, "perceiver_layers", c.perceiver_layers, where);
  read_int(j, "perceiver_heads", c.perceiver_heads, where);
  for (const char* k : {"mean", "std"}) {
    if (!j.contains(k)) continue;
    if (!j[k].is_array() || j[k].size() != 3)
      throw_error(ErrorKind::invalid_input, where + ": " + k + " must be 3 numbers");
    auto& dst = std::string(k) == "mean" ? c.mean : c.std;
    for (size_t i = 0; i < 3; ++i) {
      if (!j[k][i].is_number())
        throw_error(ErrorKind::invalid_input, where + ": " + k + " must be 3 numbers");
      dst[i] = j[k][i].get<float>();
    }
  }
  return c;
}

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
}

int64_t AnymalModel::n_image_tokens() const {
  return mlp ? cfg_.vit.n_patches() : cfg_.perceiver_queries;
}

Tensor AnymalModel::image_tokens(const Tensor& pixels) const {
  Tensor f = vit.features(pixels);
  return mlp ? mlp->forward(f) : perceiver->forward(f);
}

Tensor AnymalModel::sequence(const MultimodalExample& ex, const Tensor& image, int64_t pad_to,
                             int32_t pad_id) const {
  std::vector<Tensor> parts;
  auto text = [&](std::vector<int32_t> ids) {
    if (ids.empty()) return;
    const int64_t n = int64_t(ids.size());
    parts.push_back(lm.embed(Tensor::from_ints(ids, Shape{1, n})));
  };
  text(ex.before);
  if (ex.has_image) parts.push_back(image);
  std::vector<int32_t> rest = ex.after;
  rest.insert(rest.end(), ex.answer.begin(), ex.answer.end());
  int64_t len = int64_t(ex.before.size() + rest.size()) + (ex.has_image ? n_image_tokens() : 0);
  // The last answer token is only a target; padding fills up to pad_to.
  rest.pop_back();
  --len;
  for (; len < pad_to; ++len) rest.push_back(pad_id);
  text(rest);
  return parts.size() == 1 ? parts[0] : ops::concat(parts, 1);
}

Tensor AnymalModel::loss(const std::vector<MultimodalExample>& batch, const Tensor& pixels) const {
  if (batch.empty()) throw_error(ErrorKind::invalid_input, "loss: empty batch");
  Tensor images;
  int64_t n_img = 0;
  for (const auto& ex : batch) n_img += ex.has_image;
  if (n_img > 0) {
    if (!pixels.defined() || pixels.ndim() != 4 || pixels.dim(0) != n_img)
      throw_error(ErrorKind::invalid_input, "loss: " + std::to_string(n_img) +
                                                " examples have images but pixels hold " +
                                                (pixels.defined() ? pixels.shape().str() : "none"));
    images = image_tokens(pixels);
  }
  int64_t T = 0;
  for (const auto& ex : batch) {
    if (ex.answer.empty()) throw_error(ErrorKind::invalid_input, "loss: an example has no answer");
    const int64_t len = int64_t(ex.before.size() + ex.after.size() + ex.answer.size()) - 1 +
                        (ex.has_image ? n_image_tokens() : 0);
    T = std::max(T, len);
  }
  std::vector<Tensor> rows;
  std::vector<int32_t> targets;
  int64_t img = 0;
  for (const auto& ex : batch) {
    Tensor image;
    if (ex.has_image) {
      image = ops::slice(images, 0, img, img + 1);
      ++img;
    }
    rows.push_back(sequence(ex, image, T, 0));
    // Targets: -100 up to the position before the first answer token, then the answer.
    const int64_t prefix =
        int64_t(ex.before.size() + ex.after.size()) + (ex.has_image ? n_image_tokens() : 0);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t k = t + 1 - prefix;  // answer index this position predicts
      targets.push_back(k >= 0 && k < int64_t(ex.answer.size()) ? ex.answer[size_t(k)] : -100);
    }
  }
  Tensor h = rows.size() == 1 ? rows[0] : ops::concat(rows, 0);
  Tensor logits = lm.forward_embeddings(h);
  return ops::cross_entropy(ops::reshape(logits, {-1, cfg_.lm.vocab}),
                            Tensor::from_ints(targets, Shape{int64_t(targets.size())}));
}

Tensor AnymalModel::logits(const MultimodalExample& ex, const Tensor& pixels) const {
  Tensor image;
  if (ex.has_image) image = image_tokens(pixels);
  MultimodalExample full = ex;
  full.answer.push_back(0);  // sequence() drops the last answer token: keep them all
  const int64_t T = int64_t(ex.before.size() + ex.after.size() + ex.answer.size()) +
                    (ex.has_image ? n_image_tokens() : 0);
  return lm.forward_embeddings(sequence(full, image, T, 0));
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
  if (mlp) mlp->set_compute_dtype(dtype);
}

Tensor AnymalModel::clip_loss(const std::vector<std::vector<int32_t>>& captions,
                              const Tensor& pixels) const {
  const int64_t B = int64_t(captions.size());
  if (B < 2 || !pixels.defined() || pixels.dim(0) != B)
    throw_error(ErrorKind::invalid_input,
                "clip_loss: needs a batch of at least 2 images with "
                "one caption each");
  std::vector<Tensor> texts;
  for (const auto& c : captions) {
    if (c.empty()) throw_error(ErrorKind::invalid_input, "clip_loss: empty caption");
    texts.push_back(ops::mean(lm.embed(Tensor::from_ints(c, Shape{1, int64_t(c.size())})), 1));
  }
  const Tensor ones = Tensor::full({kClipDim}, 1.0f);
  // rms_norm makes |x| = sqrt(d): a·b / d is the cosine.
  Tensor a = ops::rms_norm(clip_img.forward(vit.pooled(pixels)), ones, 1e-6f);
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
