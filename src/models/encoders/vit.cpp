#include "models/encoders/vit.h"

#include "core/autograd_node.h"
#include "core/error.h"
#include "core/tensor.h"
#include "ops/ops.h"

namespace anymal::models {

namespace {

// A tensor of the file widened to f32, its row-major shape checked against `shape`.
Tensor weight(const GgufFile& f, const std::string& name, const Shape& shape) {
  Tensor t = f.dequantize(name);
  if (t.shape() != shape)
    throw_error(ErrorKind::invalid_input, "clip tensor " + name + " has shape " + t.shape().str() +
                                              ", expected " + shape.str());
  return t;
}

Tensor optional_weight(const GgufFile& f, const std::string& name, const Shape& shape) {
  return f.find_tensor(name) ? weight(f, name, shape) : Tensor();
}

}  // namespace

std::unique_ptr<VitEncoder> VitEncoder::from_gguf(const GgufFile& f) {
  if (f.get_string("general.architecture", "") != "clip")
    throw_error(ErrorKind::invalid_input, "not a clip (mmproj) file: general.architecture is '" +
                                              f.get_string("general.architecture", "") + "'");
  if (!f.get_bool("clip.has_vision_encoder", true))
    throw_error(ErrorKind::unsupported, "this clip file has no vision encoder");
  auto m = std::unique_ptr<VitEncoder>(new VitEncoder());
  VitConfig& c = m->cfg_;
  c.image_size = f.get_int("clip.vision.image_size");
  c.patch_size = f.get_int("clip.vision.patch_size");
  c.n_embd = f.get_int("clip.vision.embedding_length");
  c.n_ff = f.get_int("clip.vision.feed_forward_length");
  c.n_head = f.get_int("clip.vision.attention.head_count");
  c.n_layer = f.get_int("clip.vision.block_count");
  c.eps = float(f.get_float("clip.vision.attention.layer_norm_epsilon", 1e-5));
  c.use_gelu = f.get_bool("clip.use_gelu", false);
  if (c.image_size <= 0 || c.patch_size <= 0 || c.image_size % c.patch_size != 0 || c.n_embd <= 0 ||
      c.n_head <= 0 || c.n_embd % c.n_head != 0 || c.n_layer <= 0 || c.n_ff <= 0)
    throw_error(ErrorKind::invalid_input, "clip vision hyper-parameters are inconsistent");
  // LLaVA reads the second-to-last block; a feature_layer key (1-based count) says otherwise.
  c.n_layer_run = f.get_int("clip.vision.feature_layer", c.n_layer > 1 ? c.n_layer - 1 : 1);
  if (c.n_layer_run < 1 || c.n_layer_run > c.n_layer)
    throw_error(ErrorKind::invalid_input, "clip.vision.feature_layer out of range");
  for (const char* key : {"clip.vision.image_mean", "clip.vision.image_std"}) {
    const GgufArray& a = f.get_array(key);
    if (a.floats.size() != 3)
      throw_error(ErrorKind::invalid_input, std::string(key) + " needs 3 values");
    float* dst = std::string(key).ends_with("mean") ? c.mean : c.std;
    for (int i = 0; i < 3; ++i) dst[i] = float(a.floats[size_t(i)]);
  }
  const int64_t E = c.n_embd, F = c.n_ff, P = c.patch_size;
  m->patch_w_ = weight(f, "v.patch_embd.weight", {E, 3, P, P});
  m->patch_b_ = optional_weight(f, "v.patch_embd.bias", {E});
  m->class_ = optional_weight(f, "v.class_embd", {E});
  c.has_class = m->class_.defined();
  m->pos_ = weight(f, "v.position_embd.weight", {c.n_patches() + (c.has_class ? 1 : 0), E});
  m->pre_w_ = optional_weight(f, "v.pre_ln.weight", {E});
  m->pre_b_ = optional_weight(f, "v.pre_ln.bias", {E});
  m->post_w_ = optional_weight(f, "v.post_ln.weight", {E});
  m->post_b_ = optional_weight(f, "v.post_ln.bias", {E});
  for (int64_t i = 0; i < c.n_layer_run; ++i) {
    const std::string p = "v.blk." + std::to_string(i) + ".";
    Block b;
    b.ln1_w = weight(f, p + "ln1.weight", {E});
    b.ln1_b = weight(f, p + "ln1.bias", {E});
    b.ln2_w = weight(f, p + "ln2.weight", {E});
    b.ln2_b = weight(f, p + "ln2.bias", {E});
    b.q_w = weight(f, p + "attn_q.weight", {E, E});
    b.q_b = weight(f, p + "attn_q.bias", {E});
    b.k_w = weight(f, p + "attn_k.weight", {E, E});
    b.k_b = weight(f, p + "attn_k.bias", {E});
    b.v_w = weight(f, p + "attn_v.weight", {E, E});
    b.v_b = weight(f, p + "attn_v.bias", {E});
    b.o_w = weight(f, p + "attn_out.weight", {E, E});
    b.o_b = weight(f, p + "attn_out.bias", {E});
    // Files from the older converter store fc1 (E -> F) as ffn_down and fc2 as ffn_up; newer
    // ones the other way round. The shapes tell which is which (when F != E).
    Tensor down = f.dequantize(p + "ffn_down.weight"), up = f.dequantize(p + "ffn_up.weight");
    const bool swapped = down.shape() == Shape{F, E} && F != E;
    const std::string fc1 = swapped ? "ffn_down" : "ffn_up", fc2 = swapped ? "ffn_up" : "ffn_down";
    b.fc1_w = weight(f, p + fc1 + ".weight", {F, E});
    b.fc1_b = weight(f, p + fc1 + ".bias", {F});
    b.fc2_w = weight(f, p + fc2 + ".weight", {E, F});
    b.fc2_b = weight(f, p + fc2 + ".bias", {E});
    m->blocks_.push_back(std::move(b));
  }
  return m;
}

Tensor VitEncoder::encode(const Tensor& pixels) const {
  const VitConfig& c = cfg_;
  if (pixels.ndim() != 4 || pixels.dim(1) != 3 || pixels.dim(2) != c.image_size ||
      pixels.dim(3) != c.image_size)
    throw_error(ErrorKind::invalid_input,
                "vision encoder wants pixels [B, 3, " + std::to_string(c.image_size) + ", " +
                    std::to_string(c.image_size) + "], got " + pixels.shape().str());
  autograd::NoGrad no_grad;
  const int64_t B = pixels.dim(0), E = c.n_embd, H = c.n_head;
  Tensor x = ops::conv2d_patch(pixels, patch_w_, patch_b_);  // [B, N, E]
  if (c.has_class) {
    Tensor cls = ops::add(Tensor::zeros({B, 1, E}), ops::reshape(class_, {1, 1, E}));
    x = ops::concat({cls, x}, 1);
  }
  x = ops::add(x, ops::reshape(pos_, {1, pos_.dim(0), E}));
  if (pre_w_.defined()) x = ops::layer_norm(x, pre_w_, pre_b_, c.eps);
  const int64_t T = x.dim(1);
  for (const Block& b : blocks_) {
    Tensor h = ops::layer_norm(x, b.ln1_w, b.ln1_b, c.eps);
    auto heads = [&](const Tensor& w, const Tensor& bias) {
      return ops::reshape(ops::linear(h, w, bias), {B, T, H, E / H});
    };
    Tensor a = ops::attention(heads(b.q_w, b.q_b), heads(b.k_w, b.k_b), heads(b.v_w, b.v_b), false);
    x = ops::add(x, ops::linear(ops::reshape(a, {B, T, E}), b.o_w, b.o_b));
    h = ops::layer_norm(x, b.ln2_w, b.ln2_b, c.eps);
    h = ops::linear(h, b.fc1_w, b.fc1_b);
    h = c.use_gelu ? ops::gelu(h) : ops::quick_gelu(h);
    x = ops::add(x, ops::linear(h, b.fc2_w, b.fc2_b));
  }
  // The post-LN belongs to the last block's output; LLaVA's earlier feature layer skips it.
  if (post_w_.defined() && c.n_layer_run == c.n_layer)
    x = ops::layer_norm(x, post_w_, post_b_, c.eps);
  if (c.has_class) x = ops::slice(x, 1, 1, T);
  return ops::contiguous(x);
}

Tensor pixels_to_chw(const std::vector<float>& hwc, int64_t size) {
  if (int64_t(hwc.size()) != size * size * 3)
    throw_error(ErrorKind::internal, "pixels_to_chw: size mismatch");
  Tensor t = Tensor::from_floats(hwc, {1, size, size, 3});
  return ops::contiguous(ops::permute(t, {0, 3, 1, 2}));
}

}  // namespace anymal::models
