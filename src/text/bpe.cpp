// Byte-level BPE tokenization, after llama.cpp's llm_tokenizer_bpe_session.
#include <queue>
#include <string>

#include "text/subword.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

struct Symbol {
  int prev, next;    // neighbours in the live chain, -1 at the ends
  const char* text;  // into the byte-level word
  size_t n;          // bytes; 0 once merged into its left neighbour
};

struct Bigram {
  int left, right;
  int32_t rank;
  size_t size;  // bytes of left + right when queued: a stale entry no longer adds up
};

// Lowest merge rank first; on a tie the leftmost pair.
struct WorseBigram {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

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
    for (size_t offs = 0; offs < word.size();) {
      const size_t n = std::min(utf8_seq_len(uint8_t(word[offs])), word.size() - offs);
      const int index = int(symbols_.size());
      symbols_.push_back(
          {index - 1, offs + n == word.size() ? -1 : index + 1, word.data() + offs, n});
      offs += n;
    }
    for (int i = 1; i < int(symbols_.size()); ++i) add_bigram(i - 1, i);

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
      add_bigram(left.prev, b.left);
      add_bigram(b.left, left.next);
    }

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
  void add_bigram(int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols_[left];
    const Symbol& r = symbols_[right];
    key_.assign(l.text, l.n);
    key_ += ' ';
    key_.append(r.text, r.n);
    const auto it = vocab_.merge_ranks.find(key_);
    if (it == vocab_.merge_ranks.end()) return;
    queue_.push({left, right, it->second, l.n + r.n});
  }

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, WorseBigram> queue_;
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
