#include "train/flops.h"

#include <algorithm>

namespace anymal::train {

namespace {

// The weights of a module's matrices (2-D parameters), all and trainable only.
struct Weights {
  double all = 0, trainable = 0;
};

Weights matrix_weights(const nn::Module& m) {
  Weights w;
  for (const auto& [name, t] : m.named_parameters()) {
    if (t.ndim() != 2 || name.find("embd") != std::string::npos) continue;  // lookups
    w.all += double(t.numel());
    if (t.requires_grad()) w.trainable += double(t.numel());
  }
  return w;
}

// FLOPs of `w` over `rows`: forward, input gradient when on the gradient path, weight gradient.
double cost(const Weights& w, double rows, bool on_path) {
  return 2 * rows * (w.all + (on_path ? w.all : 0) + w.trainable);
}

bool trains(const nn::Module& m) {
  const auto p = m.named_parameters();
  return std::any_of(p.begin(), p.end(), [](const auto& kv) { return kv.second.requires_grad(); });
}

const nn::Module& projector_of(const models::AnymalModel& m) {
  return m.mlp ? static_cast<const nn::Module&>(*m.mlp) : *m.perceiver;
}

// A tower and its projector over n inputs; the gradient reaches them only when they train.
double tower_cost(const models::AnymalModel& m, models::Modality mod, double n, bool projector) {
  if (mod == models::Modality::image) {
    const double rows = n * double(m.config().vit.n_patches() + 1);
    const bool vit_trains = trains(m.vit);
    double c = cost(matrix_weights(m.vit), rows, vit_trains);
    if (projector)
      c += cost(matrix_weights(projector_of(m)), n * double(m.config().vit.n_patches()),
                vit_trains || trains(projector_of(m)));
    return c;
  }
  const nn::SignalTower& t = mod == models::Modality::audio ? *m.audio : *m.imu;
  const double rows = n * double(t.config().encoder.max_positions);
  double c = cost(matrix_weights(t.encoder), rows, trains(t.encoder));
  if (projector)
    c += cost(matrix_weights(t.projector()), rows, trains(t.encoder) || trains(t.projector()));
  return c;
}

}  // namespace

double step_flops(const models::AnymalModel& m, const std::string& kind,
                  const std::vector<models::MultimodalExample>& batch) {
  int64_t longest = 0;
  std::vector<double> inputs(4, 0);  // per modality
  double memory_rows = 0;            // input tokens the cross-attention blocks read
  double attending = 0;              // examples with inputs: their rows pass the blocks
  for (const auto& ex : batch) {
    longest = std::max(longest, m.prefix_length(ex) + int64_t(ex.answer.size()) - 1);
    if (kind != "multimodal" || ex.inputs().empty()) continue;
    attending += 1;
    for (models::Modality mod : ex.inputs()) {
      inputs[size_t(mod)] += 1;
      memory_rows += double(m.n_media_tokens(mod));
    }
  }
  const double rows = double(batch.size()) * double(longest);
  const Weights lm = matrix_weights(m.lm);
  // The gradient passes down through the LM when anything below its top trains: the LM itself
  // (or its adapters), or, in a multimodal stage, the blocks, projectors and towers it feeds.
  double total = cost(lm, rows, kind == "multimodal" || lm.trainable > 0);
  for (const auto& x : m.xattn) {
    Weights text_side, media_side;
    for (const nn::Module* l : std::initializer_list<const nn::Module*>{&x->q, &x->o, &x->mlp}) {
      const Weights w = matrix_weights(*l);
      text_side.all += w.all;
      text_side.trainable += w.trainable;
    }
    for (const nn::Linear* l : {&x->k, &x->v}) {
      const Weights w = matrix_weights(*l);
      media_side.all += w.all;
      media_side.trainable += w.trainable;
    }
    total +=
        cost(text_side, attending * double(longest), true) + cost(media_side, memory_rows, true);
  }
  for (models::Modality mod :
       {models::Modality::image, models::Modality::audio, models::Modality::imu})
    if (inputs[size_t(mod)] > 0) total += tower_cost(m, mod, inputs[size_t(mod)], true);
  return total;
}

double clip_step_flops(const models::AnymalModel& m, models::Modality modality, int64_t n) {
  return tower_cost(m, modality, double(n), false);
}

}  // namespace anymal::train
