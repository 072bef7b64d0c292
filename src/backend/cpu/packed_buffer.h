// Memory for re-laid (packed) weight matrices: 64-byte aligned, with huge pages asked for where
// the buffer covers them. Decoding streams every packed weight once per token, and 4 KiB pages
// cost a TLB miss every 4 KiB of the stream.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/thread_pool.h"

namespace anymal::cpu {

struct PackedFree {
  void operator()(uint8_t* p) const;
};
using PackedBuffer = std::unique_ptr<uint8_t[], PackedFree>;

// Throws ErrorKind::io when the memory cannot be had.
PackedBuffer allocate_packed(size_t bytes);

// The parallel region of packed matmuls: several matrices multiplied by the same x share one,
// over their groups laid end to end (a small model's q/k/v are a few µs of work each, less than
// a region costs). Products have `w` (with groups()); fn(product, g0, g1, i0, i1) runs groups
// [g0, g1) of product.w on rows [i0, i1) of x. A group is 16 rows × cols values (kilobytes:
// enough work per task at t = 1); rows of x go kXTile at a time, so that the tile stays in L2
// while the task's groups stream past it (all of x would not: 512 rows of ffn_down's input are
// 2.9 MB in q8_0).
template <class Product, class Fn>
void run_packed_products(std::span<const Product> products, int64_t t, Fn fn) {
  constexpr int64_t kXTile = 64;
  int64_t total = 0;
  for (const Product& p : products) total += p.w->groups();
  // A decode step's few rows of x: a chunk per thread (a small model's matmul takes a few µs).
  // Longer x keeps the pool's ~4 chunks per thread, for balance.
  parallel_for(total, t <= 16 ? grain_per_thread(total) : 1, [&](int64_t lo, int64_t hi) {
    int64_t first = 0;
    for (const Product& p : products) {
      const int64_t end = first + p.w->groups();
      if (lo < end && first < hi)
        for (int64_t i0 = 0; i0 < t; i0 += kXTile)
          fn(p, std::max(lo, first) - first, std::min(hi, end) - first, i0,
             std::min(t, i0 + kXTile));
      first = end;
    }
  });
}

}  // namespace anymal::cpu
