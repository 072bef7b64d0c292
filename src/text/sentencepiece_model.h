// SentencePiece's tokenizer.model (a ModelProto protobuf), read and written without protobuf:
// the pieces (text, score, type), the trainer's model type, byte_fallback and special ids, and
// the normalizer's add_dummy_prefix. Everything else in the file is skipped on read.
// Malformed input (truncated varints, lengths past the end, wrong wire types) throws
// anymal::Error (invalid_input) naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace anymal::text {

struct SentencePieceModel {
  // sentencepiece::ModelProto::SentencePiece::Type; equal to GGUF's token_type values.
  enum PieceType : int32_t {
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6
  };
  struct Piece {
    std::string text;
    float score = 0;
    int32_t type = normal;
  };
  std::vector<Piece> pieces;
  int32_t model_type = 1;  // 1 unigram, 2 bpe, 3 word, 4 char
  bool byte_fallback = false;
  int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  bool add_dummy_prefix = true;

  static SentencePieceModel parse(const std::string& bytes, const std::string& name);
  std::string serialize() const;
};

}  // namespace anymal::text
