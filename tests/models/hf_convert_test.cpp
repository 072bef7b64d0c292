// Hugging Face <-> GGUF conversion against llama.cpp's own converter: the fixture checkpoint
// (../shared/fixtures/hf/tiny-hf-llama) converted here must equal, tensor for tensor and key
// for key, what convert_hf_to_gguf.py wrote; GGUF -> HF -> GGUF must give back the file; the
// tokenizer files written for llama.cpp's vocab fixtures must tokenize exactly as they did.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/dtype.h"
#include "core/error.h"
#include "formats/gguf_writer.h"
#include "formats/image.h"
#include "models/anymal/vision.h"
#include "models/encoders/vit.h"
#include "models/hf/hf_model.h"
#include "models/hf/hf_weights.h"
#include "temp_dir.h"
#include "text/hf_tokenizer.h"
#include "text/tokenizer.h"

using namespace anymal;
using testkit::TempDir;
using namespace anymal::models;
namespace fs = std::filesystem;

namespace {

const std::string kShared = ANYMAL_SHARED_FIXTURES;
const std::string kHfDir = kShared + "/hf/tiny-hf-llama";
const std::string kConverted = kShared + "/hf/tiny-hf-llama.llamacpp-converted.f32.gguf";

bool same_value(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type || a.i != b.i || a.s != b.s) return false;
  if (!(a.f == b.f || (a.f != a.f && b.f != b.f))) return false;
  if (!a.array || !b.array) return !a.array && !b.array;
  const GgufArray &x = *a.array, &y = *b.array;
  if (x.elem != y.elem || x.ints != y.ints || x.strings != y.strings ||
      x.arrays.size() != y.arrays.size())
    return false;
  if (x.floats.size() != y.floats.size() ||
      std::memcmp(x.floats.data(), y.floats.data(), x.floats.size() * sizeof(double)) != 0)
    return false;
  for (size_t i = 0; i < x.arrays.size(); ++i)
    if (!same_value(x.arrays[i], y.arrays[i])) return false;
  return true;
}

// Same keys in the same order with the same typed values (except `ignored`), and the same
// tensors in the same order with identical bytes.
void expect_same_file(const GgufFile& want, const GgufFile& got,
                      const std::vector<std::string>& ignored) {
  auto kept = [&](const GgufFile& f) {
    std::vector<std::pair<std::string, GgufValue>> kv;
    for (const auto& e : f.metadata())
      if (std::find(ignored.begin(), ignored.end(), e.first) == ignored.end()) kv.push_back(e);
    return kv;
  };
  const auto a = kept(want), b = kept(got);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first) << "key " << i;
    EXPECT_TRUE(same_value(a[i].second, b[i].second))
        << a[i].first << ": " << a[i].second.str() << " vs " << b[i].second.str();
  }
  ASSERT_EQ(want.tensors().size(), got.tensors().size());
  for (size_t i = 0; i < want.tensors().size(); ++i) {
    const GgufTensorInfo &x = want.tensors()[i], &y = got.tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type) << x.name;
    EXPECT_EQ(x.ne, y.ne) << x.name;
    ASSERT_EQ(x.nbytes, y.nbytes) << x.name;
    EXPECT_EQ(std::memcmp(want.tensor_data(x), got.tensor_data(y), x.nbytes), 0)
        << x.name << ": bytes differ";
  }
}

}  // namespace

TEST(HfToGguf, EqualsLlamaCppsConversion) {
  auto ref = GgufFile::open(kConverted);
  auto ours = hf_to_gguf(kHfDir).to_memory(kHfDir);
  // general.name is the converter's guess at a model name (llama.cpp: "Conv"; here the dir).
  expect_same_file(*ref, *ours, {"general.name"});
}

TEST(HfToGguf, WrittenFileReadsBack) {
  TempDir tmp("write");
  hf_to_gguf(kHfDir).write(tmp.str("m.gguf"));
  auto ref = GgufFile::open(kConverted);
  expect_same_file(*ref, *GgufFile::open(tmp.str("m.gguf")), {"general.name"});
  EXPECT_FALSE(fs::exists(tmp.str("m.gguf.tmp")));
}

TEST(HfToGguf, HalfPrecisionRoundsEveryMatrix) {
  auto ref = GgufFile::open(kConverted);
  auto f16 = hf_to_gguf(kHfDir, HfFloat::f16).to_memory("f16");
  EXPECT_EQ(f16->get_int("general.file_type"), 1);
  for (const GgufTensorInfo& t : f16->tensors()) {
    const GgmlType want = t.ne.size() >= 2 ? GgmlType::f16 : GgmlType::f32;
    EXPECT_EQ(t.type, want) << t.name;
    Tensor a = gguf_tensor_for_hf(*ref, t.name), b = gguf_tensor_for_hf(*f16, t.name);
    const bool rounded = t.ne.size() >= 2;
    for (int64_t i = 0; i < a.numel(); ++i) {
      const float x = a.data<float>()[i];
      ASSERT_EQ(b.data<float>()[i], rounded ? f16_to_f32(f32_to_f16(x)) : x)
          << t.name << " [" << i << "]";
    }
  }
}

// GGUF -> HF -> GGUF gives back llama.cpp's file, and the written checkpoint is what the
// fixture checkpoint holds (same tensors, same bytes).
TEST(GgufToHf, RoundTripIsExact) {
  TempDir tmp("roundtrip");
  auto ref = GgufFile::open(kConverted);
  gguf_to_hf(*ref, tmp.str("hf"));
  for (const char* f :
       {"config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json"})
    EXPECT_TRUE(fs::exists(tmp.str(std::string("hf/") + f))) << f;
  auto back = hf_to_gguf(tmp.str("hf")).to_memory("back");
  expect_same_file(*ref, *back, {"general.name"});

  auto orig = SafetensorsCheckpoint::open_dir(kHfDir);
  auto ours = SafetensorsCheckpoint::open_dir(tmp.str("hf"));
  ASSERT_EQ(orig.tensors().size(), ours.tensors().size());
  for (size_t i = 0; i < orig.tensors().size(); ++i) {
    const SafetensorsTensor &a = orig.tensors()[i], &b = ours.tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.shape, b.shape) << a.name;
    ASSERT_EQ(a.nbytes, b.nbytes) << a.name;
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << a.name;
  }
}

// The fixture Llama files (f16, bf16: kept in their type; quantized: dequantized to f32)
// survive GGUF -> HF -> GGUF with the same weights.
TEST(GgufToHf, FixtureModelsRoundTrip) {
  for (const char* name : {"tiny-llama-mha-f16", "tiny-llama-mha-bf16", "tiny-llama-gqa-q8_0"}) {
    SCOPED_TRACE(name);
    TempDir tmp(name);
    auto src = GgufFile::open(kShared + "/llm/" + name + ".gguf");
    gguf_to_hf(*src, tmp.str("hf"));
    auto back = hf_to_gguf(tmp.str("hf")).to_memory("back");
    for (const GgufTensorInfo& t : src->tensors()) {
      const GgufTensorInfo& u = back->tensor_info(t.name);
      EXPECT_EQ(u.ne, t.ne) << t.name;
      if (t.type == GgmlType::f16 || t.type == GgmlType::bf16) {
        EXPECT_EQ(u.type, t.type);
      }
      Tensor a = gguf_tensor_for_hf(*src, t.name), b = gguf_tensor_for_hf(*back, t.name);
      ASSERT_EQ(a.numel(), b.numel());
      EXPECT_EQ(std::memcmp(a.data<float>(), b.data<float>(), size_t(a.numel()) * 4), 0) << t.name;
    }
    for (const char* key :
         {"llama.block_count", "llama.embedding_length", "llama.attention.head_count",
          "llama.attention.head_count_kv", "llama.feed_forward_length", "llama.vocab_size",
          "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"})
      if (src->find(key)) {
        EXPECT_EQ(back->get_int(key), src->get_int(key)) << key;
      }
    EXPECT_EQ(back->get_float("llama.rope.freq_base"), src->get_float("llama.rope.freq_base"));
    EXPECT_TRUE(
        same_value(*back->find("tokenizer.ggml.tokens"), *src->find("tokenizer.ggml.tokens")));
  }
}

// llama.cpp's vocab fixtures (SentencePiece and five byte-level BPE pre-tokenizers) written
// as Hugging Face tokenizer files and read back tokenize its test strings exactly as before.
class TokenizerRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerRoundTrip, TokenizesLikeLlamaCpp) {
  const std::string path = kShared + "/tokenizer/ggml-vocab-" + GetParam() + ".gguf";
  auto src = GgufFile::open(path);
  TempDir tmp(GetParam());
  nlohmann::json config = nlohmann::json::object();
  text::gguf_tokenizer_to_hf(*src, tmp.str(), config);
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  text::hf_tokenizer_to_gguf(tmp.str(), config, 0, w);
  auto back = w.to_memory("back");
  EXPECT_EQ(back->get_string("tokenizer.ggml.pre", "default"),
            src->get_string("tokenizer.ggml.pre", "default"));
  EXPECT_TRUE(
      same_value(*back->find("tokenizer.ggml.tokens"), *src->find("tokenizer.ggml.tokens")));
  auto want = text::Tokenizer::from_gguf(*src);
  auto got = text::Tokenizer::from_gguf(*back);
  std::ifstream inp(path + ".inp");
  std::stringstream all;
  all << inp.rdbuf();
  const std::string sep = "\n__ggml_vocab_test__\n", text = all.str();
  int cases = 0;
  for (size_t pos = 0, next; (next = text.find(sep, pos)) != std::string::npos;
       pos = next + sep.size(), ++cases) {
    const std::string s = text.substr(pos, next - pos);
    EXPECT_EQ(got->encode(s, true), want->encode(s, true)) << "'" << s << "'";
  }
  EXPECT_EQ(cases, 46);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenizerRoundTrip,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "falcon", "starcoder",
                                           "deepseek-coder"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

// The fixture LLaVA vision tower + projector (checked against llama.cpp by logits_check.sh)
// written as a CLIPVisionModel directory and converted back: same config keys, same weights
// (fc1/fc2 under llama.cpp's current names), and bit-identical image embeddings, both from
// the directory in place and from the GGUF converted back.
TEST(GgufToHf, ClipVisionTowerRoundTrip) {
  const std::string mmproj = kShared + "/vision/tiny-clip-llava-mmproj-f16.gguf";
  TempDir tmp("clip");
  auto src = GgufFile::open(mmproj);
  gguf_to_hf(*src, tmp.str("hf"));
  const auto config = nlohmann::json::parse(std::ifstream(tmp.str("hf/config.json")));
  EXPECT_EQ(config["architectures"][0], "CLIPVisionModel");
  EXPECT_TRUE(fs::exists(tmp.str("hf/preprocessor_config.json")));
  auto back = hf_to_gguf(tmp.str("hf")).to_memory("back");
  for (const auto& [key, value] : src->metadata()) {
    if (key == "general.name" || key == "general.description") continue;
    const GgufValue* got = back->find(key);
    ASSERT_TRUE(got) << key;
    EXPECT_TRUE(same_value(value, *got)) << key << ": " << value.str() << " vs " << got->str();
  }
  EXPECT_EQ(back->tensors().size(), src->tensors().size());
  for (const GgufTensorInfo& t : src->tensors()) {
    std::string name = t.name;  // the fixture uses the older converter's swapped ffn names
    if (name.find("ffn_down") != std::string::npos)
      name.replace(name.find("ffn_down"), 8, "ffn_up");
    else if (name.find("ffn_up") != std::string::npos)
      name.replace(name.find("ffn_up"), 6, "ffn_down");
    const GgufTensorInfo& u = back->tensor_info(name);
    EXPECT_EQ(u.type, t.type) << t.name;
    EXPECT_EQ(u.ne, t.ne) << t.name;
    ASSERT_EQ(u.nbytes, t.nbytes);
    EXPECT_EQ(std::memcmp(src->tensor_data(t), back->tensor_data(u), t.nbytes), 0) << t.name;
  }
  const Image img = load_image(kShared + "/vision/images/img1.png");
  Tensor want = VisionModel::load(mmproj)->embed({img});
  Tensor from_dir = VisionModel::load(tmp.str("hf"))->embed({img});
  ASSERT_EQ(want.numel(), from_dir.numel());
  EXPECT_EQ(std::memcmp(want.data<float>(), from_dir.data<float>(), size_t(want.numel()) * 4), 0);
}

// A SigLIP tower (no class token, no pre-LN, a patch bias, tanh GELU) and a CLIPModel whose
// vision_config leaves fields at transformers' defaults: both map onto the clip layout.
TEST(HfToGguf, SiglipAndNestedVisionConfig) {
  TempDir tmp("siglip");
  auto src = GgufFile::open(kShared + "/vision/tiny-clip-llava-mmproj-f16.gguf");
  gguf_to_hf(*src, tmp.str("clip"));
  auto clip = SafetensorsCheckpoint::open_dir(tmp.str("clip"));
  SafetensorsWriter sig;
  for (const SafetensorsTensor& t : clip.tensors()) {
    if (t.name.find("class_embedding") != std::string::npos ||
        t.name.find("pre_layrnorm") != std::string::npos ||
        t.name.rfind("multi_modal_projector", 0) == 0)
      continue;
    if (t.name.find("position_embedding") != std::string::npos) {  // drop the class position
      const size_t row = t.nbytes / size_t(t.shape[0]);
      sig.add(t.name, t.dtype, {t.shape[0] - 1, t.shape[1]}, t.data + row, t.nbytes - row);
      continue;
    }
    sig.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
  }
  std::vector<float> bias(64, 0.25f);
  sig.add("vision_model.embeddings.patch_embedding.bias", DType::f32, {64}, bias.data(), 256);
  sig.add("vision_model.head.probe", DType::f32, {1, 1, 64}, bias.data(), 256);  // skipped
  sig.write_dir(tmp.str("siglip"), size_t(1) << 30);
  auto cfg = nlohmann::json::parse(std::ifstream(tmp.str("clip/config.json")));
  cfg["architectures"] = {"SiglipVisionModel"};
  cfg["model_type"] = "siglip_vision_model";
  cfg["hidden_act"] = "gelu_pytorch_tanh";
  cfg.erase("layer_norm_eps");
  std::ofstream(tmp.str("siglip/config.json")) << cfg.dump();
  auto g = hf_to_gguf(tmp.str("siglip")).to_memory("siglip");
  EXPECT_FALSE(g->find_tensor("v.class_embd"));
  EXPECT_FALSE(g->find_tensor("v.pre_ln.weight"));
  EXPECT_TRUE(g->find_tensor("v.patch_embd.bias"));
  EXPECT_TRUE(g->get_bool("clip.use_gelu"));
  EXPECT_FALSE(g->get_bool("clip.has_llava_projector"));
  EXPECT_FLOAT_EQ(float(g->get_float("clip.vision.attention.layer_norm_epsilon")), 1e-6f);
  EXPECT_FLOAT_EQ(float(g->get_array("clip.vision.image_mean").floats[0]), 0.5f);  // default
  auto vit = VitEncoder::from_gguf(*g);
  Tensor x = vit->encode(Tensor::zeros({1, 3, 56, 56}));
  EXPECT_EQ(x.shape(), (Shape{1, 16, 64}));

  // CLIPModel: the tower under vision_config, sizes left out where they equal the defaults
  // would be wrong here, so the ones that differ are given; the text tower is ignored.
  nlohmann::json model = {{"architectures", {"CLIPModel"}},
                          {"model_type", "clip"},
                          {"text_config", {{"hidden_size", 32}}},
                          {"vision_config",
                           {{"hidden_size", 64},
                            {"intermediate_size", 128},
                            {"num_hidden_layers", 3},
                            {"num_attention_heads", 4},
                            {"image_size", 56},
                            {"patch_size", 14}}}};
  std::ofstream(tmp.str("clip/config.json")) << model.dump();
  auto c = hf_to_gguf(tmp.str("clip")).to_memory("clipmodel");
  EXPECT_TRUE(c->find_tensor("v.class_embd"));
  EXPECT_FALSE(c->get_bool("clip.use_gelu"));  // quick_gelu, CLIP's default
  model["vision_config"]["num_attention_heads"] = 5;
  std::ofstream(tmp.str("clip/config.json")) << model.dump();
  try {
    hf_to_gguf(tmp.str("clip"));
    FAIL() << "5 heads of 64 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vision_config"), std::string::npos) << e.what();
  }
}

TEST(HfSizeLabel, MatchesLlamaCppNotation) {
  EXPECT_EQ(size_label(151872), "152K");
  EXPECT_EQ(size_label(1100048384), "1.1B");
  EXPECT_EQ(size_label(6738415616), "6.7B");
  EXPECT_EQ(size_label(70553706496), "71B");
  EXPECT_EQ(size_label(8030261248), "8.0B");
}
