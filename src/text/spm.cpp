// SentencePiece-style tokenization, after llama.cpp's llm_tokenizer_spm_session.
#include <cstdio>
#include <queue>

#include "core/error.h"
#include "text/subword.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

struct Symbol {
  int prev, next;    // neighbours in the live chain, -1 at the ends
  const char* text;  // into the fragment
  size_t n;          // bytes; 0 once merged into its left neighbour
};

struct Bigram {
  int left, right;
  float score;
  size_t size;  // bytes of left + right when queued: a stale entry no longer adds up
};

// Best score first; on a tie the leftmost pair, so merges are deterministic.
struct WorseBigram {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmSession {
 public:
  explicit SpmSession(const Vocab& vocab) : vocab_(vocab) {}

  void encode(std::string_view text, std::vector<int32_t>& out) {
    // One symbol per UTF-8 character (by its lead byte, clipped at the end, never validated).
    for (size_t offs = 0; offs < text.size();) {
      const size_t n = std::min(utf8_seq_len(uint8_t(text[offs])), text.size() - offs);
      const int index = int(symbols_.size());
      symbols_.push_back(
          {index - 1, offs + n == text.size() ? -1 : index + 1, text.data() + offs, n});
      offs += n;
    }
    for (int i = 1; i < int(symbols_.size()); ++i) try_add_bigram(i - 1, i);

    while (!queue_.empty()) {
      const Bigram b = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[b.left];
      Symbol& right = symbols_[b.right];
      if (left.n == 0 || right.n == 0 || left.n + right.n != b.size) continue;
      left.n += right.n;
      right.n = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = b.left;
      try_add_bigram(left.prev, b.left);
      try_add_bigram(b.left, left.next);
    }

    if (symbols_.empty()) return;
    for (int i = 0; i != -1; i = symbols_[i].next) emit(symbols_[i], out);
  }

 private:
  void try_add_bigram(int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view text(symbols_[left].text, symbols_[left].n + symbols_[right].n);
    const int32_t id = vocab_.find(text);
    if (id < 0) return;
    queue_.push({left, right, vocab_.tokens[id].score, text.size()});
  }

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
  std::priority_queue<Bigram, std::vector<Bigram>, WorseBigram> queue_;
};

}  // namespace

void spm_encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  SpmSession(vocab).encode(text, out);
}

}  // namespace anymal::text
