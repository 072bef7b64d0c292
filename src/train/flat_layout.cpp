#include "train/flat_layout.h"

#include <algorithm>

namespace anymal::train {

FlatLayout::FlatLayout(const std::vector<Tensor>& params, int world, int rank) {
  offsets.push_back(0);
  for (const Tensor& p : params) offsets.push_back(offsets.back() + p.numel());
  const int64_t n = total();
  for (int r = 0; r < world; ++r) {
    counts.push_back(n / world + (r < n % world ? 1 : 0));
    if (r < rank) begin += counts.back();
  }
  end = begin + counts[size_t(rank)];
}

void FlatLayout::for_each_piece(
    int64_t lo, int64_t hi,
    const std::function<void(size_t, int64_t, int64_t, int64_t)>& fn) const {
  // The first parameter that ends after lo.
  size_t i = size_t(std::upper_bound(offsets.begin(), offsets.end(), lo) - offsets.begin());
  for (i = i == 0 ? 0 : i - 1; i + 1 < offsets.size() && offsets[i] < hi; ++i) {
    const int64_t a = std::max(lo, offsets[i]), b = std::min(hi, offsets[i + 1]);
    if (b > a) fn(i, a - offsets[i], b - a, a);
  }
}

}  // namespace anymal::train
