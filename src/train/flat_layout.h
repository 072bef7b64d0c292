// The trainable parameters of a stage as one flat vector, in their order, cut into one
// contiguous range per rank (balanced to an element; a parameter may straddle two ranks).
// The common index of gradient buckets, sharded optimizer state and sharded checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace anymal::train {

struct FlatLayout {
  FlatLayout(const std::vector<Tensor>& params, int world, int rank);

  std::vector<int64_t> offsets;  // where parameter i starts; offsets.back() is the total
  std::vector<int64_t> counts;   // elements each rank owns
  int64_t begin = 0, end = 0;    // this rank's range

  int64_t total() const { return offsets.back(); }
  int64_t owned() const { return end - begin; }
  // Calls fn(param index, first element in it, element count, flat index) for each piece of
  // parameter storage inside [lo, hi).
  void for_each_piece(int64_t lo, int64_t hi,
                      const std::function<void(size_t, int64_t, int64_t, int64_t)>& fn) const;
};

}  // namespace anymal::train
