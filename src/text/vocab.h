// The vocabulary of a GGUF file as the tokenizers use it (internal to src/text): token texts,
// scores and attributes, special ids, flags, BPE merge ranks, and what each token decodes to.
// load_vocab reads the tokenizer.ggml.* keys and applies llama.cpp's defaults and fix-ups
// (llama_vocab::impl::load), so encode/decode can match it token for token.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "formats/gguf.h"

namespace anymal::text {

enum class VocabKind { spm, bpe };  // tokenizer.ggml.model "llama" / "gpt2"

// llama.cpp's llama_token_attr bits; a token may carry several.
enum TokenAttr : uint32_t {
  attr_undefined = 0,
  attr_unknown = 1u << 0,
  attr_unused = 1u << 1,
  attr_normal = 1u << 2,
  attr_control = 1u << 3,
  attr_user_defined = 1u << 4,
  attr_byte = 1u << 5,
  attr_lstrip = 1u << 7,  // swallow whitespace left of it when splitting special tokens
  attr_rstrip = 1u << 8,  // ... and right of it
};

struct TokenData {
  std::string text;   // as stored in tokenizer.ggml.tokens
  std::string piece;  // the bytes it decodes to
  float score = 0;
  uint32_t attr = attr_normal;
};

// Hash/equality that let unordered_map<std::string, ...> be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct Vocab {
  std::string source;  // the file, for messages
  VocabKind kind = VocabKind::spm;
  std::string pre;  // tokenizer.ggml.pre ("default" when absent)
  std::vector<TokenData> tokens;
  TokenMap token_to_id;

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1;
  bool add_bos = false, add_eos = false;
  bool add_space_prefix = false;  // SPM: a fragment that starts the text gets a leading space
  bool ignore_merges = false;     // BPE: a pre-tokenized word that is a token is taken whole

  // Control, user-defined and unknown tokens, longest text first: what special-token
  // splitting looks for.
  std::vector<int32_t> special_tokens;
  std::unordered_set<int32_t> end_of_generation;
  // SPM: the <0xNN> token of each byte (-1 when the vocab lacks it).
  std::array<int32_t, 256> byte_tokens{};
  // BPE: rank of each merge, keyed by its text "left right".
  TokenMap merge_ranks;

  int32_t n_tokens() const { return int32_t(tokens.size()); }
  int32_t find(std::string_view text) const {
    auto it = token_to_id.find(text);
    return it == token_to_id.end() ? -1 : it->second;
  }
};

// Throws anymal::Error (invalid_input, or unsupported for tokenizer kinds not implemented)
// naming the file and the key at fault.
std::unique_ptr<Vocab> load_vocab(const GgufFile& file);

}  // namespace anymal::text
