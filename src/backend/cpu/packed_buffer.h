// Memory for re-laid (packed) weight matrices: 64-byte aligned, with huge pages asked for where
// the buffer covers them. Decoding streams every packed weight once per token, and 4 KiB pages
// cost a TLB miss every 4 KiB of the stream.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace anymal::cpu {

struct PackedFree {
  void operator()(uint8_t* p) const;
};
using PackedBuffer = std::unique_ptr<uint8_t[], PackedFree>;

// Throws ErrorKind::io when the memory cannot be had.
PackedBuffer allocate_packed(size_t bytes);

// Several packed matrices multiplied by the same x share one parallel region over their groups
// laid end to end (a small model's q/k/v are a few µs of work each, less than a region costs).
// Calls fn(i, g0, g1) for the part [g0, g1) of matrix i (groups(i) groups) in [lo, hi).
template <class Groups, class Fn>
void for_each_group_span(size_t n, Groups groups, int64_t lo, int64_t hi, Fn fn) {
  int64_t first = 0;
  for (size_t i = 0; i < n && first < hi; ++i) {
    const int64_t end = first + groups(i);
    if (lo < end && first < hi) fn(i, std::max(lo, first) - first, std::min(hi, end) - first);
    first = end;
  }
}

}  // namespace anymal::cpu
