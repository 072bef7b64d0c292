// The merge loop both subword algorithms share (internal to src/text): a fragment split into
// one symbol per UTF-8 character (by its lead byte, clipped at the end, never validated), kept
// as a linked chain; adjacent pairs the vocabulary knows are queued with a priority, and the
// best pair is merged until none is left. SPM ranks pairs by token score, BPE by merge rank.
#pragma once

#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "text/utf8.h"

namespace anymal::text {

struct Symbol {
  int prev, next;    // neighbours in the live chain, -1 at the ends
  const char* text;  // into the fragment
  size_t n;          // bytes; 0 once merged into its left neighbour
};

// lookup(left, right) -> std::optional<P>: the pair's priority when the vocabulary has it.
// better(a, b): a merges before b. Fills `symbols` (cleared first); the live chain starts at 0.
template <class P, class Lookup, class Better>
void merge_symbols(std::string_view text, std::vector<Symbol>& symbols, Lookup lookup,
                   Better better) {
  struct Bigram {
    int left, right;
    P priority;
    size_t size;  // bytes of left + right when queued: a stale entry no longer adds up
  };
  // The queue's top is the best pair; on a tie the leftmost, so merges are deterministic.
  auto worse = [&](const Bigram& a, const Bigram& b) {
    return better(b.priority, a.priority) || (!better(a.priority, b.priority) && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
  auto add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    if (std::optional<P> p = lookup(symbols[size_t(left)], symbols[size_t(right)]))
      queue.push({left, right, *p, symbols[size_t(left)].n + symbols[size_t(right)].n});
  };
  symbols.clear();
  for (size_t offs = 0; offs < text.size();) {
    const size_t n = std::min(utf8_seq_len(uint8_t(text[offs])), text.size() - offs);
    const int index = int(symbols.size());
    symbols.push_back({index - 1, offs + n == text.size() ? -1 : index + 1, text.data() + offs, n});
    offs += n;
  }
  for (int i = 1; i < int(symbols.size()); ++i) add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[size_t(b.left)];
    Symbol& right = symbols[size_t(b.right)];
    if (left.n == 0 || right.n == 0 || left.n + right.n != b.size) continue;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[size_t(right.next)].prev = b.left;
    add(left.prev, b.left);
    add(b.left, left.next);
  }
}

}  // namespace anymal::text
