#include "infer/image_cache.h"

#include <string_view>

namespace anymal::infer {

ImageEmbeddingCache::Key ImageEmbeddingCache::key_of(std::span<const uint8_t> bytes) {
  // std::hash (libstdc++: murmur-style) and FNV-1a with the length mixed in: independent enough
  // that a practical collision needs both.
  uint64_t a = std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  uint64_t b = 0xcbf29ce484222325ull ^ bytes.size();
  for (uint8_t c : bytes) b = (b ^ c) * 0x100000001b3ull;
  return {a, b};
}

Tensor ImageEmbeddingCache::get_or_compute(std::span<const uint8_t> image_bytes,
                                           const std::function<Tensor()>& compute) {
  const Key key = key_of(image_bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      return it->second->second;
    }
    ++misses_;
  }
  Tensor value = compute();
  std::lock_guard<std::mutex> lock(mutex_);
  if (index_.count(key) == 0 && capacity_ > 0) {
    lru_.emplace_front(key, value);
    index_[key] = lru_.begin();
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  return value;
}

size_t ImageEmbeddingCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}
size_t ImageEmbeddingCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}
size_t ImageEmbeddingCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

}  // namespace anymal::infer
