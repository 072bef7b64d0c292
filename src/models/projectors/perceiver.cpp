// AnyMAL's Perceiver resampler as a `clip` file projector: clip.projector_type
// "anymal_perceiver", sizes under anymal.perceiver.*, tensors under mm.perceiver.* (llama.cpp
// has no such projector, so the keys are ours).
#include "nn/perceiver.h"
#include "core/autograd_node.h"
#include "core/error.h"
#include "models/projectors/projector.h"

namespace anymal::models {

namespace {

class PerceiverProjector : public Projector {
 public:
  explicit PerceiverProjector(const GgufFile& f) {
    nn::PerceiverConfig c;
    const GgufTensorInfo &in = f.tensor_info("mm.perceiver.in.weight"),
                         &lat = f.tensor_info("mm.perceiver.latents"),
                         &out = f.tensor_info("mm.perceiver.out.weight"),
                         &up = f.tensor_info("mm.perceiver.blk.0.ffn_up.weight");
    for (const GgufTensorInfo* t : {&in, &lat, &out, &up})
      if (t->ne.size() != 2)
        throw_error(ErrorKind::invalid_input, "perceiver tensor " + t->name + " must be 2-D");
    c.n_in = in.ne[0];
    c.dim = lat.ne[0];
    c.n_queries = lat.ne[1];
    c.n_out = out.ne[1];
    c.n_ff = up.ne[1];
    c.n_layers = f.get_int("anymal.perceiver.block_count");
    c.n_heads = f.get_int("anymal.perceiver.head_count");
    c.eps = float(f.get_float("anymal.perceiver.layer_norm_epsilon", 1e-5));
    Rng rng(0);
    net_ = std::make_unique<nn::PerceiverResampler>(c, rng);
    for (const auto& [name, param] : net_->named_parameters())
      net_->load_parameter(name, f.dequantize("mm.perceiver." + name));
    net_->set_requires_grad(false);
  }
  Tensor project(const Tensor& x) const override {
    autograd::NoGrad no_grad;
    return net_->forward(x);
  }
  int64_t n_in() const override { return net_->config().n_in; }
  int64_t n_out() const override { return net_->config().n_out; }
  int64_t n_tokens(int64_t) const override { return net_->config().n_queries; }

 private:
  std::unique_ptr<nn::PerceiverResampler> net_;
};

}  // namespace

std::unique_ptr<Projector> make_perceiver_projector(const GgufFile& f) {
  return std::make_unique<PerceiverProjector>(f);
}

}  // namespace anymal::models
