// Safetensors (Hugging Face's tensor file format), read and write.
//
// Read: SafetensorsFile::open maps the file; tensor bytes are used in place. The header is
// validated before anything is used: its length (at most 100 MB, inside the file), JSON that
// is an object of {dtype, shape, data_offsets} entries plus an optional string-valued
// __metadata__, dtypes F32/F16/BF16 (other known dtypes are `unsupported`, unknown ones
// `invalid_input`), offsets inside the data section, sizes equal to shape x dtype, and no two
// tensors overlapping. Any violation throws anymal::Error naming the file and the tensor.
//
// SafetensorsCheckpoint reads a Hugging Face model directory's weights: model.safetensors, or
// the shards listed by model.safetensors.index.json (every listed shard must exist and hold
// the tensors the index assigns it; a name in two shards is an error).
//
// SafetensorsWriter writes one file atomically (temp, fsync, rename), or shards plus the index.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/tensor.h"

namespace anymal {

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;  // row-major, as in PyTorch
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  std::string file;  // the file it lives in, for messages

  int64_t numel() const;
};

class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);
  // Parses caller-owned bytes that outlive the result (fuzzing, tests).
  static std::shared_ptr<SafetensorsFile> parse(const uint8_t* data, size_t size,
                                                const std::string& name);

  const std::string& path() const { return path_; }
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }  // sorted by name
  const SafetensorsTensor* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  void parse_header();

  std::shared_ptr<MappedFile> file_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsCheckpoint {
 public:
  // `dir` holds model.safetensors or model.safetensors.index.json and its shards.
  static SafetensorsCheckpoint open_dir(const std::string& dir);

  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }  // sorted by name
  const SafetensorsTensor* find(const std::string& name) const;
  // Throws invalid_input "DIR: missing tensor NAME".
  const SafetensorsTensor& get(const std::string& name) const;
  // The tensor converted to a new contiguous f32 Tensor.
  Tensor to_f32(const std::string& name) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;  // keep the mappings alive
  std::vector<SafetensorsTensor> tensors_;
};

class SafetensorsWriter {
 public:
  // The bytes are copied. dtype must be f32, f16 or bf16; nbytes must match the shape.
  void add(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
           const void* data, size_t nbytes);
  void add(const std::string& name, const Tensor& t);  // any strides; stored contiguous
  void set_metadata(const std::string& key, const std::string& value);

  void write(const std::string& path) const;
  // Writes model-0000i-of-0000n.safetensors files of at most about max_shard_bytes each plus
  // model.safetensors.index.json into dir (created when missing); one shard is written as
  // model.safetensors.
  void write_dir(const std::string& dir, size_t max_shard_bytes) const;

 private:
  struct Pending {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  void write_file(const std::string& path, const std::vector<const Pending*>& tensors) const;

  std::map<std::string, std::string> metadata_;
  std::vector<Pending> tensors_;
};

}  // namespace anymal
