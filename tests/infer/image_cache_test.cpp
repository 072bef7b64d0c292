#include "infer/image_cache.h"

#include <gtest/gtest.h>

#include <vector>

using namespace anymal;

TEST(ImageEmbeddingCache, SameBytesComputeOnceAndOldEntriesAreEvicted) {
  infer::ImageEmbeddingCache cache(2);
  int computed = 0;
  auto make = [&](float v) {
    return [&computed, v] {
      ++computed;
      return Tensor::full({2}, v);
    };
  };
  std::vector<uint8_t> a{1, 2, 3}, b{1, 2, 4}, c{9};
  EXPECT_EQ(cache.get_or_compute(a, make(1)).data<float>()[0], 1.0f);
  EXPECT_EQ(cache.get_or_compute(a, make(7)).data<float>()[0], 1.0f);  // cached: not recomputed
  EXPECT_EQ(computed, 1);
  EXPECT_EQ(cache.get_or_compute(b, make(2)).data<float>()[0], 2.0f);  // one byte differs
  cache.get_or_compute(a, make(0));                                    // a is now most recent
  cache.get_or_compute(c, make(3));                                    // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.get_or_compute(b, make(5)).data<float>()[0], 5.0f);
  EXPECT_EQ(computed, 4);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 4u);
}
