// The Perceiver resampler: gradients of the features and of every parameter against finite
// differences; any number of patches gives n_queries tokens; and a GGUF round trip through the
// projector registry gives the module's own output.
#include "nn/perceiver.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "autograd/gradcheck.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "models/projectors/projector.h"

using namespace anymal;

namespace {

nn::PerceiverConfig small_config() {
  nn::PerceiverConfig c;
  c.n_in = 6;
  c.dim = 8;
  c.n_out = 5;
  c.n_queries = 3;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_ff = 12;
  return c;
}

Tensor random_features(Rng& rng, int64_t b, int64_t n, int64_t d) {
  std::vector<float> v(size_t(b * n * d));
  for (float& x : v) x = rng.normal();
  return Tensor::from_floats(v, {b, n, d});
}

}  // namespace

TEST(Perceiver, GradientsMatchFiniteDifferences) {
  Rng rng(3);
  nn::PerceiverResampler p(small_config(), rng);
  // Larger weights than the init so every path carries signal worth checking.
  for (const auto& [name, t] : p.named_parameters()) {
    float* d = t.mutable_data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) d[i] += rng.normal(0.0f, 0.3f);
  }
  Tensor x = random_features(rng, 2, 5, 6);
  x.set_requires_grad(true);
  std::vector<Tensor> inputs{x};
  for (const auto& [name, t] : p.named_parameters()) inputs.push_back(t);
  auto r =
      autograd::gradcheck([&](const std::vector<Tensor>& in) { return p.forward(in[0]); }, inputs);
  EXPECT_TRUE(r.ok()) << r.worst << " at " << r.where;
}

TEST(Perceiver, AnyNumberOfPatchesGivesNQueriesTokens) {
  Rng rng(4);
  nn::PerceiverResampler p(small_config(), rng);
  for (int64_t n : {1, 7, 40}) {
    Tensor y = p.forward(random_features(rng, 2, n, 6));
    EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  }
  EXPECT_THROW(p.forward(random_features(rng, 1, 4, 7)), Error);
}

TEST(Perceiver, GgufRoundTripThroughTheProjectorRegistry) {
  Rng rng(5);
  nn::PerceiverConfig c = small_config();
  nn::PerceiverResampler p(c, rng);
  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_string("clip.projector_type", "anymal_perceiver");
  w.set_u32("anymal.perceiver.block_count", uint32_t(c.n_layers));
  w.set_u32("anymal.perceiver.head_count", uint32_t(c.n_heads));
  for (const auto& [name, t] : p.named_parameters()) w.add_tensor("mm.perceiver." + name, t);
  const std::string path = testing::TempDir() + "perceiver.gguf";
  w.write(path);
  auto proj = models::projector_from_gguf(*GgufFile::open(path));
  EXPECT_EQ(proj->n_in(), 6);
  EXPECT_EQ(proj->n_out(), 5);
  EXPECT_EQ(proj->n_tokens(100), 3);
  Tensor x = random_features(rng, 1, 9, 6);
  Tensor a = p.forward(x), b = proj->project(x);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_FLOAT_EQ(a.data<float>()[i], b.data<float>()[i]);
  std::filesystem::remove(path);
}
