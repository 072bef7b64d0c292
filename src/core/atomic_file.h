// A file that appears under its final name complete or not at all: bytes go to PATH.tmp,
// commit() fsyncs and renames it over PATH. Destroyed without commit() (an exception, a
// failed write), the temp file is removed and PATH is left as it was. Errors throw io naming
// the path and the OS reason. Also: read_file_bytes for small files (configs, JSON).
#pragma once

#include <cstddef>
#include <string>

namespace anymal {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(const std::string& s) { write(s.data(), s.size()); }
  void pad(size_t n);  // n zero bytes
  size_t written() const { return written_; }
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  size_t written_ = 0;
};

// Writes a whole file atomically.
void write_file_atomic(const std::string& path, const void* data, size_t n);
inline void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}
// Reads a whole file; throws io naming it when it cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace anymal
