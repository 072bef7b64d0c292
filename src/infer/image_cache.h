// Image embeddings keyed by the image's content, so that the same photo asked about twice (or
// by two clients) is encoded once. Keys are two independent 64-bit hashes of the encoded bytes
// (a collision needs both to collide); entries are evicted least-recently-used beyond the
// capacity. Thread-safe: the server shares one cache among its requests.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <span>
#include <unordered_map>

#include "core/tensor.h"

namespace anymal::infer {

class ImageEmbeddingCache {
 public:
  explicit ImageEmbeddingCache(size_t capacity = 32) : capacity_(capacity) {}

  // The cached embeddings of `image_bytes`, or compute() stored and returned. compute runs
  // outside the lock (two threads may both compute a new image; one result is kept).
  Tensor get_or_compute(std::span<const uint8_t> image_bytes,
                        const std::function<Tensor()>& compute);

  size_t hits() const;
  size_t misses() const;
  size_t size() const;

 private:
  struct Key {
    uint64_t a, b;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return size_t(k.a ^ (k.b * 0x9E3779B97F4A7C15ull)); }
  };
  static Key key_of(std::span<const uint8_t> bytes);

  size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::pair<Key, Tensor>> lru_;  // most recent first
  std::unordered_map<Key, std::list<std::pair<Key, Tensor>>::iterator, KeyHash> index_;
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace anymal::infer
