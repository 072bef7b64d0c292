// A read-only memory mapping of a whole file. Tensors loaded from GGUF point into it
// (Storage::view_of) so weights are used in place, never copied.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace anymal {

class MappedFile {
 public:
  // Throws io with the path and the OS reason when the file cannot be opened or mapped.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  // Zeroed anonymous memory of `size` bytes standing in for a file named `name`; its creator
  // fills it through writable_data() before sharing it.
  static std::shared_ptr<MappedFile> anonymous(size_t size, const std::string& name);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  uint8_t* writable_data() const;  // anonymous mappings only
  // Lets the OS drop the whole pages of [p, p + n) from memory (a file mapping reads them again
  // on the next access; anonymous memory is kept): for data that was copied elsewhere.
  void evict(const uint8_t* p, size_t n) const;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  bool anonymous_ = false;
};

}  // namespace anymal
