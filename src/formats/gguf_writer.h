// GGUF writer (version 3): metadata in insertion order, tensors aligned to general.alignment
// (32 unless set). write() is atomic: a temp file beside the target, fsync, rename — a crash
// never leaves a half-written file under the final name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"

namespace anymal {

class GgufWriter {
 public:
  void set(const std::string& key, GgufValue value);  // replaces an existing key
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_strings(const std::string& key, const std::vector<std::string>& v);
  void set_f32s(const std::string& key, const std::vector<float>& v);
  void set_i32s(const std::string& key, const std::vector<int32_t>& v);

  // Raw data in ggml layout (ne[0] innermost); the bytes are copied.
  void add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                  const void* data, size_t nbytes);
  // The same without a copy: `data` stays valid while `owner` lives (e.g. a mapped file).
  void add_tensor_ref(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                      const void* data, size_t nbytes, std::shared_ptr<const void> owner);
  // A plain tensor (f32/f16/bf16/i32, any strides), stored with its row-major shape.
  void add_tensor(const std::string& name, const Tensor& t);

  void write(const std::string& path) const;
  // The file built in memory and opened, as if written and read back (`name` stands for it
  // in messages): how a Hugging Face directory is loaded without a file on disk.
  std::shared_ptr<GgufFile> to_memory(const std::string& name) const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    const uint8_t* data;
    size_t nbytes;
    std::shared_ptr<const void> owner;
  };
  size_t alignment() const;
  std::vector<uint8_t> header() const;  // up to the aligned start of the data section

  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace anymal
