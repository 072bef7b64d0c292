// Learns a byte-level BPE vocabulary (GPT-2 style) from text: words split by the "gpt-2"
// pre-tokenizer, the 256 byte symbols to start, then the most frequent adjacent pair merged
// repeatedly (ties broken by the pair's text, so training is deterministic) until the
// vocabulary is full or no pair occurs twice. Control tokens <s>, </s> and <pad> end the
// vocabulary. The result writes llama.cpp's `gpt2` tokenizer keys, which
// text::Tokenizer::from_gguf (and llama.cpp) read back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/gguf_writer.h"

namespace anymal::text {

struct BpeVocab {
  std::vector<std::string> tokens;  // byte-level alphabet (utf8.h byte_to_unicode)
  std::vector<int32_t> types;       // 1 normal, 3 control
  std::vector<std::string> merges;  // "left right", in rank order
  int32_t bos = -1, eos = -1, pad = -1;

  // tokenizer.ggml.{model,pre,tokens,token_type,merges,bos/eos/padding_token_id,add_bos_token,
  // add_eos_token}: BOS added, EOS not (as Llama's).
  void write_gguf(GgufWriter& out) const;
};

// vocab_size counts every token (bytes, merges, the three control tokens); at least 259.
BpeVocab train_bpe(const std::vector<std::string>& texts, int64_t vocab_size);

}  // namespace anymal::text
