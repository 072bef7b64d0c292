// The CLIP vision tower and projector against llama.cpp's image embeddings for the fixture
// images (../shared/fixtures/vision/ref/*.image_embd.f32), through our decoder and
// preprocessing; and the errors a user can hit.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/rng.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "formats/image.h"
#include "models/anymal/chat_template.h"
#include "models/anymal/vision.h"
#include "models/encoders/vit.h"
#include "models/projectors/projector.h"
#include "ops/ops.h"
#include "text/tokenizer.h"

using namespace anymal;

namespace {

const std::string kVision = std::string(ANYMAL_SHARED_FIXTURES) + "/vision";

std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> v(size_t(in.tellg()) / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * 4));
  return v;
}

}  // namespace

TEST(Vision, ImageEmbeddingsMatchLlamaCpp) {
  const std::string mmproj = kVision + "/tiny-clip-llava-mmproj-f16.gguf";
  if (!std::filesystem::exists(mmproj)) GTEST_SKIP() << "no fixtures";
  auto f = GgufFile::open(mmproj);
  auto vit = models::VitEncoder::from_gguf(*f);
  auto proj = models::projector_from_gguf(*f);
  const auto& c = vit->config();
  EXPECT_EQ(c.n_layer_run, 2);
  EXPECT_TRUE(c.has_class);
  for (int i = 1; i <= 3; ++i) {
    const std::string n = std::to_string(i);
    Image img = load_image(kVision + "/images/img" + n + ".png");
    std::vector<float> px = preprocess_llava(img, int(c.image_size), c.mean, c.std);
    Tensor emb = proj->project(vit->encode(models::pixels_to_chw(px, c.image_size)));
    std::vector<float> ref = read_f32(kVision + "/ref/tiny-llava.img" + n + ".image_embd.f32");
    ASSERT_EQ(emb.numel(), int64_t(ref.size()));
    ASSERT_EQ(emb.dim(1), c.n_patches());
    double mean = 0, var = 0;
    for (float v : ref) mean += v / ref.size();
    for (float v : ref) var += (v - mean) * (v - mean) / ref.size();
    const float* got = emb.data<float>();
    float err = 0;
    for (size_t j = 0; j < ref.size(); ++j) err = std::max(err, std::abs(got[j] - ref[j]));
    EXPECT_LE(err, 0.01 * std::sqrt(var)) << "img" << n;
  }
}

TEST(Vision, BatchedEncodeEqualsOneAtATime) {
  const std::string mmproj = kVision + "/tiny-clip-llava-mmproj-f16.gguf";
  if (!std::filesystem::exists(mmproj)) GTEST_SKIP() << "no fixtures";
  auto f = GgufFile::open(mmproj);
  auto vit = models::VitEncoder::from_gguf(*f);
  const auto& c = vit->config();
  std::vector<float> all;
  std::vector<Tensor> singles;
  for (int i = 1; i <= 3; ++i) {
    Image img = load_image(kVision + "/images/img" + std::to_string(i) + ".png");
    std::vector<float> px = preprocess_llava(img, int(c.image_size), c.mean, c.std);
    Tensor chw = models::pixels_to_chw(px, c.image_size);
    all.insert(all.end(), chw.data<float>(), chw.data<float>() + chw.numel());
    singles.push_back(vit->encode(chw));
  }
  Tensor batch = vit->encode(Tensor::from_floats(all, {3, 3, c.image_size, c.image_size}));
  const int64_t per = singles[0].numel();
  for (int i = 0; i < 3; ++i)
    for (int64_t j = 0; j < per; ++j)
      ASSERT_NEAR(batch.data<float>()[i * per + j], singles[size_t(i)].data<float>()[j], 1e-4);
}

TEST(Vision, WrongPixelShapeAndNonClipFilesAreClearErrors) {
  const std::string mmproj = kVision + "/tiny-clip-llava-mmproj-f16.gguf";
  if (!std::filesystem::exists(mmproj)) GTEST_SKIP() << "no fixtures";
  auto vit = models::VitEncoder::from_gguf(*GgufFile::open(mmproj));
  try {
    vit->encode(Tensor::zeros({1, 3, 32, 32}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(e.what()).find("[1,3,32,32]"), std::string::npos) << e.what();
  }
  auto llm = GgufFile::open(std::string(ANYMAL_SHARED_FIXTURES) + "/llm/tiny-llama-mha-f16.gguf");
  EXPECT_THROW(models::VitEncoder::from_gguf(*llm), Error);
}

TEST(Vision, MismatchedMmprojAndExtraMarkersAreClearErrors) {
  const std::string mmproj = kVision + "/tiny-clip-llava-mmproj-f16.gguf";
  if (!std::filesystem::exists(mmproj)) GTEST_SKIP() << "no fixtures";
  try {
    models::VisionModel::load(mmproj, 128);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(e.what()).find("another model"), std::string::npos) << e.what();
  }
  auto llm = GgufFile::open(std::string(ANYMAL_SHARED_FIXTURES) + "/llm/tiny-llama-mha-f16.gguf");
  auto tok = text::Tokenizer::from_gguf(*llm);
  EXPECT_THROW(models::split_image_prompt(*tok, "a <image> b <image>"), Error);
  models::ImagePrompt p = models::split_image_prompt(*tok, "USER: <image>\nhi");
  EXPECT_EQ(p.before, tok->encode("USER: ", true));
  EXPECT_EQ(p.after, tok->encode("\nhi", false));
  models::ImagePrompt first = models::split_image_prompt(*tok, "hi");  // no marker: image first
  EXPECT_EQ(first.after, tok->encode("hi", false));
}

// mlp_norm (Yi-VL): LN(mm.3(gelu(LN(mm.0 x)))) with affine LayerNorms mm.1 / mm.4, against the
// same computation written out with ops.
TEST(Vision, MlpNormProjectorComputesItsFormula) {
  Rng rng(6);
  auto rand = [&](const Shape& s) {
    std::vector<float> v(size_t(s.numel()));
    for (float& x : v) x = rng.normal();
    return Tensor::from_floats(v, s);
  };
  Tensor w0 = rand({10, 4}), b0 = rand({10}), g1 = rand({10}), c1 = rand({10}), w3 = rand({6, 10}),
         b3 = rand({6}), g4 = rand({6}), c4 = rand({6});
  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_string("clip.projector_type", "mlp_norm");
  w.add_tensor("mm.0.weight", w0);
  w.add_tensor("mm.0.bias", b0);
  w.add_tensor("mm.1.weight", g1);
  w.add_tensor("mm.1.bias", c1);
  w.add_tensor("mm.3.weight", w3);
  w.add_tensor("mm.3.bias", b3);
  w.add_tensor("mm.4.weight", g4);
  w.add_tensor("mm.4.bias", c4);
  const std::string path = testing::TempDir() + "mlp_norm.gguf";
  w.write(path);
  auto proj = models::projector_from_gguf(*GgufFile::open(path));
  Tensor x = rand({2, 3, 4});
  Tensor want = ops::layer_norm(
      ops::linear(ops::gelu(ops::layer_norm(ops::linear(x, w0, b0), g1, c1, 1e-5f)), w3, b3), g4,
      c4, 1e-5f);
  Tensor got = proj->project(x);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5f);
  // An unknown type names the known ones.
  GgufWriter bad;
  bad.set_string("general.architecture", "clip");
  bad.set_string("clip.projector_type", "ldp");
  bad.write(path);
  try {
    models::projector_from_gguf(*GgufFile::open(path));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unsupported);
    EXPECT_NE(std::string(e.what()).find("anymal_perceiver, mlp, mlp_norm"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove(path);
}

TEST(ChatTemplate, CommonFamiliesAreRecognisedAndWritten) {
  using models::ChatTemplate;
  EXPECT_EQ(models::detect_chat_template(""), ChatTemplate::llava);
  EXPECT_EQ(
      models::detect_chat_template(
          "{% for m in messages %}<|im_start|>{{m.role}}\n{{m.content}}<|im_end|>{% endfor %}"),
      ChatTemplate::chatml);
  EXPECT_EQ(models::detect_chat_template("{{ '<|start_header_id|>' + m['role'] }}"),
            ChatTemplate::llama3);
  EXPECT_EQ(models::detect_chat_template("{{ '<start_of_turn>' + role }}"), ChatTemplate::gemma);
  EXPECT_EQ(models::detect_chat_template("{{ bos_token + '[INST] ' + content + ' [/INST]' }}"),
            ChatTemplate::llama2);
  EXPECT_EQ(models::format_user_turn(ChatTemplate::llava, "<image>\nhi", true),
            "USER: <image>\nhi ASSISTANT:");
  EXPECT_EQ(models::format_user_turn(ChatTemplate::chatml, "hi", false),
            "<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(models::format_user_turn(ChatTemplate::llama2, "hi", true), "[INST] hi [/INST]");
  // The fixture model has no template: LLaVA-1.5's, and the ask prompt is the fixture's shape.
  auto llm = GgufFile::open(std::string(ANYMAL_SHARED_FIXTURES) + "/llm/tiny-llama-mha-f16.gguf");
  EXPECT_EQ(models::chat_template_of(*llm), ChatTemplate::llava);
}
