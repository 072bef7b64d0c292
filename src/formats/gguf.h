// GGUF (llama.cpp's model file format), read side: versions 2 and 3, every metadata type
// including nested arrays, general.alignment, tensor infos validated against the file.
//
// GgufFile::open maps the file; tensor data is used in place (no copies). Any inconsistency
// — bad magic, counts or strings past the end, unknown tensor type, misaligned or
// out-of-bounds data, duplicate names — throws anymal::Error (invalid_input) with a one-line
// message naming the file, and the tensor or key when there is one.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/ggml_types.h"
#include "core/mapped_file.h"
#include "core/tensor.h"

namespace anymal {

enum class GgufType : uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

const char* gguf_type_name(GgufType t);

struct GgufArray;

// One metadata value. Integers (and bool) live in `i` (u64 as its bit pattern), floats in `f`,
// strings in `s`, arrays in `array`.
struct GgufValue {
  GgufType type = GgufType::u8;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<GgufArray> array;

  bool is_integer() const;
  bool is_float() const { return type == GgufType::f32 || type == GgufType::f64; }
  std::string str() const;  // for display: numbers, "text", [a, b, ... (n)]
};

struct GgufArray {
  GgufType elem = GgufType::u8;
  std::vector<int64_t> ints;         // integer and bool elements
  std::vector<double> floats;        // f32 / f64 elements
  std::vector<std::string> strings;  // string elements
  std::vector<GgufValue> arrays;     // nested arrays
  size_t size() const;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::f32;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the innermost (contiguous) dim
  uint64_t offset = 0;      // from the start of the data section
  size_t nbytes = 0;

  int64_t numel() const;
  Shape shape() const;  // row-major: [ne[n-1], ..., ne[0]]
};

class GgufFile {
 public:
  static std::shared_ptr<GgufFile> open(const std::string& path);
  // A file already mapped (or built in memory); its path() names it.
  static std::shared_ptr<GgufFile> from_mapped(std::shared_ptr<MappedFile> file);
  // Parses bytes owned by the caller, who keeps them alive as long as the result (fuzzing,
  // tests). `name` stands for the file in error messages.
  static std::shared_ptr<GgufFile> parse(const uint8_t* data, size_t size, const std::string& name);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  size_t alignment() const { return alignment_; }
  size_t data_offset() const { return data_offset_; }
  size_t file_size() const { return size_; }

  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(const std::string& key) const;
  // Required keys: throw "FILE: missing key K" or "FILE: key K is a T, expected ...".
  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;  // accepts integers too
  bool get_bool(const std::string& key) const;
  const GgufArray& get_array(const std::string& key) const;
  // Optional keys.
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_float(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  const GgufTensorInfo& tensor_info(const std::string& name) const;  // throws naming it
  const uint8_t* tensor_data(const GgufTensorInfo& t) const {
    return data_ + data_offset_ + t.offset;
  }
  // Drops a tensor's pages from memory once its data was copied elsewhere (see MappedFile).
  void evict(const GgufTensorInfo& t) const { file_->evict(tensor_data(t), t.nbytes); }
  // An f32/f16/bf16/i32 tensor as a read-only Tensor over the mapping (row-major shape).
  Tensor tensor(const std::string& name) const;
  // Any supported type (quantized too) converted to a new f32 tensor (row-major shape).
  Tensor dequantize(const std::string& name) const;

 private:
  GgufFile() = default;
  void parse_all();
  [[noreturn]] void fail(const std::string& what) const;

  std::shared_ptr<MappedFile> file_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  uint32_t version_ = 0;
  size_t alignment_ = 32;
  size_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace anymal
