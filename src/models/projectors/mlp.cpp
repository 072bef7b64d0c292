// The MLP projectors of LLaVA-1.5 (`mlp`) and Yi-VL (`mlp_norm`), and the registry.
#include <map>

#include "core/autograd_node.h"
#include "core/error.h"
#include "models/projectors/projector.h"
#include "ops/ops.h"

namespace anymal::models {

namespace {

Tensor checked(const GgufFile& f, const std::string& name, const Shape& shape) {
  Tensor t = f.dequantize(name);
  if (t.shape() != shape)
    throw_error(ErrorKind::invalid_input, "projector tensor " + name + " has shape " +
                                              t.shape().str() + ", expected " + shape.str());
  return t;
}

class MlpProjector : public Projector {
 public:
  MlpProjector(const GgufFile& f, bool norm) : norm_(norm) {
    const std::string second = norm ? "mm.3" : "mm.2";
    const GgufTensorInfo &w0 = f.tensor_info("mm.0.weight"),
                         &w1 = f.tensor_info(second + ".weight");
    if (w0.ne.size() != 2 || w1.ne.size() != 2)
      throw_error(ErrorKind::invalid_input,
                  "projector weights mm.0 and " + second + " must be 2-D");
    n_in_ = w0.ne[0];
    n_hidden_ = w0.ne[1];
    n_out_ = w1.ne[1];
    w0_ = checked(f, "mm.0.weight", {n_hidden_, n_in_});
    b0_ = checked(f, "mm.0.bias", {n_hidden_});
    w1_ = checked(f, second + ".weight", {n_out_, n_hidden_});
    b1_ = checked(f, second + ".bias", {n_out_});
    if (norm) {
      ln1_w_ = checked(f, "mm.1.weight", {n_hidden_});
      ln1_b_ = checked(f, "mm.1.bias", {n_hidden_});
      ln2_w_ = checked(f, "mm.4.weight", {n_out_});
      ln2_b_ = checked(f, "mm.4.bias", {n_out_});
    }
  }
  Tensor project(const Tensor& x) const override {
    if (x.ndim() != 3 || x.dim(2) != n_in_)
      throw_error(
          ErrorKind::invalid_input,
          "projector wants features [B, N, " + std::to_string(n_in_) + "], got " + x.shape().str());
    autograd::NoGrad no_grad;
    Tensor h = ops::linear(x, w0_, b0_);
    if (norm_) h = ops::layer_norm(h, ln1_w_, ln1_b_, kEps);
    h = ops::linear(ops::gelu(h), w1_, b1_);
    if (norm_) h = ops::layer_norm(h, ln2_w_, ln2_b_, kEps);
    return h;
  }
  int64_t n_in() const override { return n_in_; }
  int64_t n_out() const override { return n_out_; }

 private:
  static constexpr float kEps = 1e-5f;
  bool norm_;
  int64_t n_in_ = 0, n_hidden_ = 0, n_out_ = 0;
  Tensor w0_, b0_, w1_, b1_, ln1_w_, ln1_b_, ln2_w_, ln2_b_;
};

const std::map<std::string, ProjectorFactory>& registry() {
  static const std::map<std::string, ProjectorFactory> r{
      {"mlp", [](const GgufFile& f) { return std::make_unique<MlpProjector>(f, false); }},
      {"mlp_norm", [](const GgufFile& f) { return std::make_unique<MlpProjector>(f, true); }},
      {"anymal_perceiver", make_perceiver_projector},
  };
  return r;
}

}  // namespace

std::unique_ptr<Projector> projector_from_gguf(const GgufFile& f) {
  const std::string type = f.get_string("clip.projector_type", "mlp");
  auto it = registry().find(type);
  if (it == registry().end()) {
    std::string known;
    for (const std::string& t : projector_types()) known += (known.empty() ? "" : ", ") + t;
    throw_error(ErrorKind::unsupported,
                "clip.projector_type '" + type + "' is not supported (known: " + known + ")");
  }
  return it->second(f);
}

std::vector<std::string> projector_types() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : registry()) out.push_back(name);
  return out;
}

}  // namespace anymal::models
