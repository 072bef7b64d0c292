// The two subword algorithms (internal to src/text). Each appends the ids of one text fragment
// (special tokens already split off) to `out`, exactly as llama.cpp's session tokenizers do.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "text/pre_tokenizer.h"
#include "text/vocab.h"

namespace anymal::text {

// SentencePiece-style (tokenizer.ggml.model "llama"): `text` already has its spaces written as
// U+2581. Characters are merged pairwise, best score first; what never becomes a token is
// written as <0xNN> byte tokens.
void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

// Byte-level BPE (tokenizer.ggml.model "gpt2"): pre-tokenize, map bytes to the byte-level
// alphabet, then apply merges lowest rank first within each word.
void bpe_encode(const Vocab& vocab, const PreTokenizer& pre, std::string_view text,
                std::vector<int32_t>& out);

}  // namespace anymal::text
