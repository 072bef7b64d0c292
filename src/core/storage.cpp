#include "core/storage.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"

namespace anymal {

std::shared_ptr<Storage> Storage::allocate(size_t bytes, bool zero) {
  std::shared_ptr<Storage> s(new Storage());
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p)
    throw_error(ErrorKind::invalid_input,
                "out of memory allocating " + std::to_string(bytes) + " bytes for a tensor");
  if (zero) std::memset(p, 0, rounded);
  s->data_ = static_cast<uint8_t*>(p);
  s->size_ = bytes;
  return s;
}

std::shared_ptr<Storage> Storage::view_of(std::shared_ptr<MappedFile> file, size_t offset,
                                          size_t bytes) {
  if (offset > file->size() || bytes > file->size() - offset)
    throw_error(ErrorKind::invalid_input, file->path() + ": range [" + std::to_string(offset) +
                                              ", " + std::to_string(offset + bytes) +
                                              ") is past the end of the file (" +
                                              std::to_string(file->size()) + " bytes)");
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = const_cast<uint8_t*>(file->data()) + offset;
  s->size_ = bytes;
  s->file_ = std::move(file);
  return s;
}

void Storage::drop() {
  ANYMAL_ASSERT(!file_);
  std::free(data_);
  data_ = nullptr;
}

void Storage::restore() {
  if (data_) return;
  void* p = std::aligned_alloc(64, std::max<size_t>(64, (size_ + 63) / 64 * 64));
  if (!p)
    throw_error(ErrorKind::invalid_input,
                "out of memory restoring " + std::to_string(size_) + " bytes of a tensor");
  data_ = static_cast<uint8_t*>(p);
}

Storage::~Storage() {
  if (!file_) std::free(data_);
}

}  // namespace anymal
