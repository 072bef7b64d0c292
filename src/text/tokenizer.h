// Tokenizers of llama.cpp-ecosystem GGUF files: SentencePiece-style ("llama") and byte-level
// BPE ("gpt2") vocabularies, giving the same ids as llama.cpp's llama_tokenize (commit c392e50).
//
// Contract:
// - Tokenizer::from_gguf reads the tokenizer.ggml.* keys; a missing or inconsistent vocabulary
//   throws anymal::Error (invalid_input) naming the file and key; a tokenizer kind or BPE
//   pre-tokenizer that is not implemented throws unsupported.
// - encode never fails on text: bytes that are not UTF-8 are handled as llama.cpp does
//   (SPM: byte tokens; BPE: U+FFFD).
// - Ids outside [0, n_vocab) given to token_piece / decode / StreamDecoder throw invalid_input.
// - A Tokenizer is immutable after construction; every method is safe to call concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"

namespace anymal::text {

struct Vocab;
class PreTokenizer;

class Tokenizer {
 public:
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);
  ~Tokenizer();

  // add_special: prepend BOS / append EOS as the vocab's add_bos_token / add_eos_token say.
  // parse_special: text of control tokens (e.g. "<s>", "<|endoftext|>") becomes that token.
  // User-defined tokens are always matched as whole tokens, as in llama.cpp. SPM vocabularies
  // (unless add_space_prefix is false) put a space before text that starts the input or
  // follows a special token.
  std::vector<int32_t> encode(std::string_view text, bool add_special,
                              bool parse_special = false) const;

  // The bytes this token stands for: byte tokens <0xNN> -> that byte, SPM U+2581 -> ' ',
  // byte-level BPE characters -> their bytes; control / user-defined / unknown tokens -> their
  // text; unused tokens -> "". A piece may be an incomplete UTF-8 sequence.
  std::string token_piece(int32_t id) const;

  // Concatenated pieces. Special tokens (control / unknown) are left out unless render_special.
  // SPM vocabularies with add_space_prefix drop the leading space of the first piece, the one
  // the encoder added, so decode(encode(s, add_special)) == s for text without special tokens.
  // Unlike llama_detokenize, no clean-up of spaces before punctuation is applied.
  std::string decode(const std::vector<int32_t>& ids, bool render_special = false) const;

  int32_t n_vocab() const;
  int32_t bos() const;    // -1 when absent
  int32_t eos() const;    // -1 when absent
  bool adds_bos() const;  // tokenizer.ggml.add_bos_token (SPM default true)
  bool adds_eos() const;
  bool is_end_of_generation(int32_t id) const;  // eos, eot, eom and the like (<|im_end|>, ...)
  bool is_special(int32_t id) const;  // control or unknown: what decode leaves out by default
  std::string_view token_text(int32_t id) const;    // as stored in tokenizer.ggml.tokens
  int32_t find_token(std::string_view text) const;  // exact text -> id, -1 when absent
  bool is_spm() const;                              // tokenizer.ggml.model "llama" (else "gpt2")

 private:
  Tokenizer();
  struct Fragment;
  std::vector<Fragment> split_special(std::string_view text, bool parse_special) const;
  void check_id(int32_t id) const;

  std::unique_ptr<Vocab> vocab_;
  std::unique_ptr<PreTokenizer> pre_;  // BPE only
};

// Streams text for generated tokens: holds back incomplete UTF-8 sequences split across tokens
// (e.g. an emoji produced as four <0xNN> byte tokens) until they are complete. Special tokens
// print nothing. No leading space is removed: the stream continues a prompt.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  std::string push(int32_t id);  // the text that became complete with this token
  std::string flush();           // whatever is held back, complete or not

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace anymal::text
