// Storage: the bytes behind one or more Tensors, shared by refcount (shared_ptr).
// Either owned (64-byte aligned heap) or a read-only window into a MappedFile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/mapped_file.h"

namespace anymal {

class Storage {
 public:
  // Owned, 64-byte aligned; zero-filled when `zero`, else uninitialized.
  static std::shared_ptr<Storage> allocate(size_t bytes, bool zero);
  // Borrowed window [offset, offset+bytes) of a mapping; keeps the mapping alive.
  // Throws invalid_input when the window lies outside the file.
  static std::shared_ptr<Storage> view_of(std::shared_ptr<MappedFile> file, size_t offset,
                                          size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool read_only() const { return file_ != nullptr; }

  // Frees the bytes of an owned storage, keeping size(): data() is null until restore()
  // allocates them again (uninitialized). How a sharded trainer (train/sharded_adamw.h)
  // drops the weights it does not own between uses; views of a tensor share this object,
  // so they see the restored bytes too.
  void drop();
  void restore();
  bool dropped() const { return data_ == nullptr; }

 private:
  Storage() = default;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<MappedFile> file_;
};

}  // namespace anymal
