#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/rng.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"

using namespace anymal;
namespace fs = std::filesystem;

namespace {

std::string shared_fixture(const std::string& rel) {
  return std::string(ANYMAL_SHARED_FIXTURES) + "/" + rel;
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("anymal_" + std::to_string(getpid()) + "_" + name)).string();
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// A small file with every metadata type, a nested array and tensors of several types.
std::string write_sample(const std::string& path) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_i32("some.i32", -7);
  w.set_u64("some.u64", 1ull << 40);
  w.set_f32("some.f32", 0.5f);
  w.set_bool("some.bool", true);
  w.set_strings("tokenizer.ggml.tokens", {"<s>", "a", "bc", ""});
  w.set_f32s("tokenizer.ggml.scores", {0.0f, -1.5f, 2.0f, 3.0f});
  GgufValue nested;
  nested.type = GgufType::array;
  nested.array = std::make_shared<GgufArray>();
  nested.array->elem = GgufType::array;
  GgufValue inner;
  inner.type = GgufType::array;
  inner.array = std::make_shared<GgufArray>();
  inner.array->elem = GgufType::i16;
  inner.array->ints = {1, -2, 3};
  nested.array->arrays = {inner, inner};
  w.set("some.nested", nested);
  Rng rng(1);
  w.add_tensor("w.f32", randn(Shape{3, 5}, rng));
  w.add_tensor("w.ids", Tensor::from_ints({1, 2, 3}, Shape{3}));
  w.add_tensor("w.bf16", Tensor::from_floats({1, 2, 3, 4}, Shape{2, 2}, DType::bf16));
  std::vector<uint8_t> q8(34 * 2, 7);  // two q8_0 blocks
  w.add_tensor("w.q8", GgmlType::q8_0, {64}, q8.data(), q8.size());
  w.write(path);
  return path;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    GgufFile::parse(bytes.data(), bytes.size(), "test.gguf");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Gguf, ReadsTheLlamaCppFixtures) {
  if (!fs::exists(shared_fixture("llm"))) GTEST_SKIP() << "no ../shared/fixtures";
  int files = 0;
  for (auto& dir : {"llm", "vision", "tokenizer"})
    for (auto& entry : fs::directory_iterator(shared_fixture(dir)))
      if (entry.path().extension() == ".gguf") {
        auto g = GgufFile::open(entry.path().string());
        EXPECT_GE(g->version(), 2u) << entry.path();
        ++files;
      }
  EXPECT_GE(files, 8);
  auto g = GgufFile::open(shared_fixture("llm/tiny-llama-gqa-f16.gguf"));
  EXPECT_EQ(g->get_string("general.architecture"), "llama");
  EXPECT_EQ(g->get_int("llama.attention.head_count_kv"), 2);
  EXPECT_FLOAT_EQ(float(g->get_float("llama.rope.freq_base")), 10000.0f);
  EXPECT_EQ(g->get_array("tokenizer.ggml.tokens").strings.size(), 32000u);
  EXPECT_EQ(g->find_tensor("output.weight"), nullptr);  // tied embeddings
  Tensor embd = g->tensor("token_embd.weight");
  EXPECT_EQ(embd.shape(), (Shape{32000, 256}));
  EXPECT_EQ(embd.dtype(), DType::f16);
  EXPECT_EQ(embd.raw(),
            static_cast<const void*>(g->tensor_data(g->tensor_info("token_embd.weight"))));
  for (float v : g->tensor("output_norm.weight").to_floats()) EXPECT_TRUE(std::isfinite(v));
  EXPECT_THROW(g->get_string("llama.block_count"), Error);  // wrong type, named
  try {
    g->get_int("llama.no_such_key");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing key llama.no_such_key"), std::string::npos);
  }
}

TEST(Gguf, WriterRoundTripsEveryType) {
  std::string path = write_sample(temp_path("sample.gguf"));
  auto g = GgufFile::open(path);
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(g->get_int("some.i32"), -7);
  EXPECT_EQ(uint64_t(g->get_int("some.u64")), 1ull << 40);
  EXPECT_EQ(g->get_float("some.f32"), 0.5);
  EXPECT_TRUE(g->get_bool("some.bool"));
  EXPECT_EQ(g->get_array("tokenizer.ggml.tokens").strings,
            (std::vector<std::string>{"<s>", "a", "bc", ""}));
  EXPECT_EQ(g->get_array("tokenizer.ggml.scores").floats[1], -1.5);
  const GgufArray& nested = g->get_array("some.nested");
  ASSERT_EQ(nested.arrays.size(), 2u);
  EXPECT_EQ(nested.arrays[1].array->ints, (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(g->tensor("w.ids").to_ints(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(g->tensor("w.bf16").to_floats(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(g->tensor("w.f32").shape(), (Shape{3, 5}));
  EXPECT_EQ(g->tensor_info("w.q8").nbytes, 68u);
  EXPECT_THROW(g->tensor("w.q8"), Error);  // quantized: not a plain tensor
  for (const GgufTensorInfo& t : g->tensors()) EXPECT_EQ((g->data_offset() + t.offset) % 32, 0u);
  fs::remove(path);
}

TEST(Gguf, RewritingAFixtureKeepsEveryByteOfData) {
  if (!fs::exists(shared_fixture("llm"))) GTEST_SKIP() << "no ../shared/fixtures";
  auto src = GgufFile::open(shared_fixture("llm/tiny-llama-mha-f16.gguf"));
  GgufWriter w;
  for (auto& [k, v] : src->metadata()) w.set(k, v);
  for (const GgufTensorInfo& t : src->tensors())
    w.add_tensor(t.name, t.type, t.ne, src->tensor_data(t), t.nbytes);
  std::string path = temp_path("rewrite.gguf");
  w.write(path);
  auto g = GgufFile::open(path);
  ASSERT_EQ(g->metadata().size(), src->metadata().size());
  for (size_t i = 0; i < g->metadata().size(); ++i) {
    EXPECT_EQ(g->metadata()[i].first, src->metadata()[i].first);
    EXPECT_EQ(g->metadata()[i].second.str(), src->metadata()[i].second.str());
  }
  for (const GgufTensorInfo& t : src->tensors()) {
    const GgufTensorInfo& u = g->tensor_info(t.name);
    ASSERT_EQ(u.nbytes, t.nbytes);
    EXPECT_EQ(std::memcmp(g->tensor_data(u), src->tensor_data(t), t.nbytes), 0) << t.name;
  }
  fs::remove(path);
}

TEST(Gguf, CorruptFilesGiveOneLineErrorsNamingTheProblem) {
  std::string path = write_sample(temp_path("corrupt.gguf"));
  std::vector<uint8_t> good = read_bytes(path);
  fs::remove(path);
  auto patched = [&](size_t at, std::vector<uint8_t> bytes) {
    std::vector<uint8_t> b = good;
    std::copy(bytes.begin(), bytes.end(), b.begin() + long(at));
    return b;
  };
  EXPECT_EQ(parse_error(patched(0, {'G', 'G', 'M', 'L'})),
            "test.gguf: not a GGUF file (bad magic)");
  EXPECT_EQ(parse_error(patched(4, {1, 0, 0, 0})),
            "test.gguf: GGUF version 1 is not supported (re-convert the model)");
  EXPECT_EQ(parse_error(patched(8, {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})),
            "test.gguf: tensor count 4294967295 runs past the end of the file");
  // Find the q8 tensor's info: name, dims, then type and offset.
  std::string name = "w.q8";
  size_t at =
      size_t(std::search(good.begin(), good.end(), name.begin(), name.end()) - good.begin()) +
      name.size();
  size_t type_at = at + 4 + 8;
  EXPECT_EQ(parse_error(patched(type_at, {99, 0, 0, 0})),
            "test.gguf: tensor w.q8 has unknown type 99");
  EXPECT_NE(parse_error(patched(type_at + 4, {3, 0, 0, 0, 0, 0, 0, 0}))
                .find("tensor w.q8 data at offset 3 is not aligned"),
            std::string::npos);
  EXPECT_NE(parse_error(patched(type_at + 4, {0, 0, 0, 0, 0, 1, 0, 0})).find("tensor w.q8 data ["),
            std::string::npos);
  std::vector<uint8_t> cut(good.begin(), good.end() - 40);
  EXPECT_NE(parse_error(cut).find("tensor w.q8 data"), std::string::npos);
  // Every truncation that cuts into data is an error (dropping the last tensor's padding is
  // not); thousands of random corruptions: an Error or a valid parse, never a crash.
  auto g = GgufFile::parse(good.data(), good.size(), "good");
  size_t end = 0;
  for (const GgufTensorInfo& t : g->tensors())
    end = std::max(end, g->data_offset() + t.offset + t.nbytes);
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> b(good.begin(), good.begin() + long(n));
    EXPECT_EQ(parse_error(b) != "", n < end) << "truncated to " << n;
  }
  Rng rng(5);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> b = good;
    for (int k = 0; k < 3; ++k) b[rng.below(b.size())] = uint8_t(rng.next_u64());
    try {
      GgufFile::parse(b.data(), b.size(), "fuzz");
    } catch (const Error&) {
    }
  }
}

TEST(Gguf, FailedWriteLeavesNothingBehind) {
  GgufWriter w;
  w.set_u32("a", 1);
  std::string path = "/nonexistent-dir/x.gguf";
  EXPECT_THROW(w.write(path), Error);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}
