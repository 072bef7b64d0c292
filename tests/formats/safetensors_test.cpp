// Safetensors read/write and the SentencePiece model protobuf: round trips, sharded
// checkpoints, and headers that lie (each a clear anymal::Error naming file and tensor).
#include "formats/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "temp_dir.h"
#include "text/sentencepiece_model.h"

using namespace anymal;
using testkit::TempDir;
namespace fs = std::filesystem;

namespace {

// A file image: 8-byte little-endian header length, the header, then `data_bytes` zeros.
std::string file_image(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

// The message of the Error parsing `bytes` throws ("" when it parses), checking its kind.
std::string parse_error(const std::string& bytes, ErrorKind kind = ErrorKind::invalid_input) {
  try {
    SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "f.st");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Safetensors, WriteThenReadKeepsEveryTensor) {
  TempDir tmp("rw");
  Tensor a = Tensor::empty({2, 3}, DType::f32);
  for (int i = 0; i < 6; ++i) a.mutable_data<float>()[i] = float(i) - 2.5f;
  const uint16_t half[4] = {0x3c00, 0xc000, 0x7bff, 0x0001};
  SafetensorsWriter w;
  w.add("b.weight", DType::f16, {4}, half, sizeof half);
  w.add("a.weight", a);
  w.add("c.empty", DType::bf16, {0, 5}, nullptr, 0);
  w.set_metadata("format", "pt");
  w.write(tmp.str("m.safetensors"));
  EXPECT_FALSE(fs::exists(tmp.str("m.safetensors.tmp")));

  auto f = SafetensorsFile::open(tmp.str("m.safetensors"));
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->metadata().at("format"), "pt");
  const SafetensorsTensor* ta = f->find("a.weight");
  ASSERT_TRUE(ta);
  EXPECT_EQ(ta->dtype, DType::f32);
  EXPECT_EQ(ta->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(ta->data, a.data<float>(), 24), 0);
  const SafetensorsTensor* tb = f->find("b.weight");
  ASSERT_TRUE(tb);
  EXPECT_EQ(tb->dtype, DType::f16);
  EXPECT_EQ(std::memcmp(tb->data, half, sizeof half), 0);
  EXPECT_EQ(f->find("c.empty")->numel(), 0);
  // Data offsets are 8-byte aligned for the readers that map tensors in place.
  EXPECT_EQ((ta->data - f->find("b.weight")->data) % 8, 0);
}

TEST(Safetensors, ShardedCheckpointThroughTheIndex) {
  TempDir tmp("shards");
  SafetensorsWriter w;
  std::vector<float> v(1000);
  for (int i = 0; i < 5; ++i) {
    for (size_t j = 0; j < v.size(); ++j) v[j] = float(i * 1000 + int(j));
    w.add("t" + std::to_string(i), DType::f32, {1000}, v.data(), 4000);
  }
  w.write_dir(tmp.str(), 8000);  // two tensors a shard: three shards
  EXPECT_TRUE(fs::exists(tmp.str("model-00003-of-00003.safetensors")));
  EXPECT_FALSE(fs::exists(tmp.str("model.safetensors")));
  auto ck = SafetensorsCheckpoint::open_dir(tmp.str());
  ASSERT_EQ(ck.tensors().size(), 5u);
  Tensor t3 = ck.to_f32("t3");
  EXPECT_EQ(t3.data<float>()[7], 3007.0f);
  try {
    ck.get("t9");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor t9"), std::string::npos);
  }

  // An index naming a tensor its shard lacks, or a path outside the directory.
  const std::string index = tmp.str("model.safetensors.index.json");
  auto j = nlohmann::json::parse(read_file_bytes(index));
  j["weight_map"]["t0"] = "model-00002-of-00003.safetensors";
  write_file_atomic(index, j.dump());
  EXPECT_THROW(
      {
        try {
          SafetensorsCheckpoint::open_dir(tmp.str());
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("has no tensor t0"), std::string::npos);
          throw;
        }
      },
      Error);
  j["weight_map"]["t0"] = "../model-00001-of-00003.safetensors";
  write_file_atomic(index, j.dump());
  EXPECT_THROW(SafetensorsCheckpoint::open_dir(tmp.str()), Error);
  write_file_atomic(index, "{\"weight_map\": [");
  EXPECT_THROW(SafetensorsCheckpoint::open_dir(tmp.str()), Error);
  fs::remove(index);
  EXPECT_THROW(SafetensorsCheckpoint::open_dir(tmp.str()), Error);  // neither file
}

TEST(Safetensors, HeadersThatLieAreErrors) {
  const std::string ok = R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
  EXPECT_EQ(parse_error(file_image(ok, 8)), "");
  EXPECT_NE(parse_error("abc").find("shorter than"), std::string::npos);
  EXPECT_NE(parse_error(file_image(ok, 8).substr(0, 20)).find("past the end"), std::string::npos);
  std::string huge = file_image(ok, 8);
  huge[3] = char(0x80);  // a 2 GB header length
  EXPECT_NE(parse_error(huge).find("100 MB"), std::string::npos);
  EXPECT_NE(parse_error(file_image(ok, 4)).find("tensor w: data_offsets [0, 8] lie outside"),
            std::string::npos);
  EXPECT_NE(parse_error(file_image("[1, 2]", 0)).find("not a JSON object"), std::string::npos);
  EXPECT_NE(parse_error(file_image("{\"w\": ", 0)).find("not valid JSON"), std::string::npos);
  const std::string cases[][2] = {
      {R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", "need 12 bytes"},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", "lie outside"},
      {R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", "negative"},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", "[begin, end]"},
      {R"({"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}})", "unknown dtype \"Q4\""},
      {R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", "missing string dtype"},
      {R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 8]}})",
       "need more bytes"},
      {R"({"w": 3})", "tensor w is not an object"},
      {R"({"__metadata__": {"a": 1}})", "__metadata__.a is not a string"},
      {R"({"a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]},
           "b": {"dtype": "F16", "shape": [2], "data_offsets": [4, 8]}})",
       "tensors a and b overlap"},
  };
  for (const auto& c : cases) {
    const std::string msg = parse_error(file_image(c[0], 8));
    EXPECT_NE(msg.find(c[1]), std::string::npos) << c[0] << " -> '" << msg << "'";
    EXPECT_EQ(msg.rfind("f.st: ", 0), 0u) << msg;
  }
  // A dtype safetensors knows but anymal does not compute with is `unsupported`.
  const std::string i64 = R"({"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})";
  EXPECT_NE(parse_error(file_image(i64, 8), ErrorKind::unsupported).find("I64"), std::string::npos);
}

// The fixture tokenizer.model survives parse -> serialize -> parse, and every truncation of it
// is an error, never a crash.
TEST(SentencePieceModel, RoundTripAndTruncations) {
  const std::string bytes =
      read_file_bytes(std::string(ANYMAL_SHARED_FIXTURES) + "/hf/tiny-hf-llama/tokenizer.model");
  const auto m = text::SentencePieceModel::parse(bytes, "tokenizer.model");
  ASSERT_EQ(m.pieces.size(), 512u);
  EXPECT_EQ(m.model_type, 2);  // BPE
  EXPECT_TRUE(m.byte_fallback);
  EXPECT_EQ(m.pieces[3].text, "<0x00>");
  EXPECT_EQ(m.pieces[3].type, text::SentencePieceModel::byte);
  const auto again = text::SentencePieceModel::parse(m.serialize(), "again");
  ASSERT_EQ(again.pieces.size(), m.pieces.size());
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    EXPECT_EQ(again.pieces[i].text, m.pieces[i].text);
    EXPECT_EQ(again.pieces[i].score, m.pieces[i].score);
    EXPECT_EQ(again.pieces[i].type, m.pieces[i].type);
  }
  EXPECT_EQ(again.model_type, m.model_type);
  EXPECT_EQ(again.byte_fallback, m.byte_fallback);
  EXPECT_EQ(again.unk_id, m.unk_id);
  EXPECT_EQ(again.bos_id, m.bos_id);
  EXPECT_EQ(again.eos_id, m.eos_id);
  EXPECT_EQ(again.pad_id, m.pad_id);
  EXPECT_EQ(again.add_dummy_prefix, m.add_dummy_prefix);
  int errors = 0;
  for (size_t n = 1; n < bytes.size(); n += 7) {
    try {
      text::SentencePieceModel::parse(bytes.substr(0, n), "cut");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}
