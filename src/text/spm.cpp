// SentencePiece-style tokenization, after llama.cpp's llm_tokenizer_spm_session.
#include <cstdio>

#include "core/error.h"
#include "text/subword.h"
#include "text/symbol_merge.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

class SpmSession {
 public:
  explicit SpmSession(const Vocab& vocab) : vocab_(vocab) {}

  void encode(std::string_view text, std::vector<int32_t>& out) {
    merge_symbols<float>(
        text, symbols_,
        [&](const Symbol& l, const Symbol& r) -> std::optional<float> {
          const int32_t id = vocab_.find(std::string_view(l.text, l.n + r.n));
          if (id < 0) return std::nullopt;
          return vocab_.tokens[size_t(id)].score;
        },
        [](float a, float b) { return a > b; });  // best score first
    if (symbols_.empty()) return;
    for (int i = 0; i != -1; i = symbols_[i].next) emit(symbols_[i], out);
  }

 private:
  // A merged symbol is always a token (pairs are only queued when they are one), so what is
  // not a token is a single character the vocabulary lacks: it goes out as bytes. llama.cpp's
  // rev_merge re-segmentation can never apply for the same reason.
  void emit(const Symbol& s, std::vector<int32_t>& out) const {
    const std::string_view text(s.text, s.n);
    if (const int32_t id = vocab_.find(text); id >= 0) {
      out.push_back(id);
      return;
    }
    for (char c : text) {
      int32_t id = vocab_.byte_tokens[uint8_t(c)];
      if (id < 0) id = vocab_.unk;  // llama.cpp throws here; the unknown token is kinder
      if (id < 0) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02X", unsigned(uint8_t(c)));
        throw_error(ErrorKind::invalid_input, vocab_.source +
                                                  ": the vocabulary has no token for byte " + hex +
                                                  " and no unknown token");
      }
      out.push_back(id);
    }
  }

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
};

}  // namespace

void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  SpmSession(vocab).encode(text, out);
}

}  // namespace anymal::text
