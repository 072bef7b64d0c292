// Byte-level BPE pre-tokenizer: splits text into words before merges are applied, with the
// regexes llama.cpp uses for each tokenizer.ggml.pre (llm_tokenizer_bpe). Internal to src/text.
//
// Regexes are applied in sequence; each one splits every piece the previous ones left, and the
// text between matches is kept as a piece of its own (unicode_regex_split). They run on PCRE2
// with Unicode properties, translated so they mean what llama.cpp's implementation means:
// \s is Unicode White_Space (including U+0085), \p{Lu}/\p{Ll}/... are any letter, \d is ASCII,
// $ is the end of the piece. Bytes that are not UTF-8 become U+FFFD first, as in llama.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anymal::text {

class PreTokenizer {
 public:
  // Throws anymal::Error (unsupported) for a name llama.cpp does not know either.
  explicit PreTokenizer(std::string_view pre);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // The words of `text`, in order; their concatenation is `text` (after U+FFFD replacement).
  // Thread-safe.
  std::vector<std::string> split(std::string_view text) const;

  // Every tokenizer.ggml.pre value accepted.
  static std::vector<std::string> known_names();
  // The regexes a tokenizer.ggml.pre value applies, in order (empty when unknown).
  static std::vector<std::string> regexes_of(std::string_view pre);
  // The tokenizer.ggml.pre value whose regexes are exactly these ("" when none is): how a
  // Hugging Face tokenizer.json's pre-tokenizer is recognised. Hugging Face's case-insensitive
  // contraction group (?i:'s|'t|...) is accepted for llama.cpp's spelled-out one.
  static std::string name_for_regexes(const std::vector<std::string>& regexes);

 private:
  struct Regex;
  std::vector<std::unique_ptr<Regex>> regexes_;
};

// The PCRE2 pattern equivalent to one of llama.cpp's pre-tokenizer regexes (exposed for tests).
std::string translate_regex(std::string_view llama_regex);

}  // namespace anymal::text
