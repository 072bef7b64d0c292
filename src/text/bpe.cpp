// Byte-level BPE tokenization, after llama.cpp's llm_tokenizer_bpe_session.
#include <string>

#include "text/subword.h"
#include "text/symbol_merge.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

class BpeWord {
 public:
  explicit BpeWord(const Vocab& vocab) : vocab_(vocab) {}

  // `word` is in the byte-level alphabet, so it is valid UTF-8.
  void encode(const std::string& word, std::vector<int32_t>& out) {
    if (vocab_.ignore_merges) {
      if (const int32_t id = vocab_.find(word); id >= 0) {
        out.push_back(id);
        return;
      }
    }
    merge_symbols<int32_t>(
        word, symbols_,
        [&](const Symbol& l, const Symbol& r) -> std::optional<int32_t> {
          key_.assign(l.text, l.n);
          key_ += ' ';
          key_.append(r.text, r.n);
          const auto it = vocab_.merge_ranks.find(key_);
          if (it == vocab_.merge_ranks.end()) return std::nullopt;
          return it->second;
        },
        [](int32_t a, int32_t b) { return a < b; });  // lowest merge rank first
    if (symbols_.empty()) return;
    for (int i = 0; i != -1; i = symbols_[i].next) {
      const std::string_view text(symbols_[i].text, symbols_[i].n);
      if (const int32_t id = vocab_.find(text); id >= 0) {
        out.push_back(id);
        continue;
      }
      // Not a token (a merge whose result the vocabulary lacks): llama.cpp looks up each byte
      // of the symbol's text as a one-byte token and drops those it cannot find.
      for (char c : text) {
        if (const int32_t id = vocab_.find(std::string_view(&c, 1)); id >= 0) out.push_back(id);
      }
    }
  }

 private:
  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::string key_;  // reused "left right" lookup buffer
};

}  // namespace

void bpe_encode(const Vocab& vocab, const PreTokenizer& pre, std::string_view text,
                std::vector<int32_t>& out) {
  std::string encoded;
  for (const std::string& word : pre.split(text)) {
    encoded.clear();
    for (char c : word) encoded += byte_to_unicode(uint8_t(c));
    BpeWord(vocab).encode(encoded, out);
  }
}

}  // namespace anymal::text
