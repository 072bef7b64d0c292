#include "formats/safetensors.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace anymal {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit of the reference implementation

// Known safetensors dtypes; only the float ones map to a DType we compute with.
bool dtype_from_name(const std::string& s, DType& out, bool& known) {
  static const char* const other[] = {"F64",     "I64",     "I32", "I16",  "I8",      "U64",
                                      "U32",     "U16",     "U8",  "BOOL", "F8_E4M3", "F8_E5M2",
                                      "F6_E2M3", "F6_E3M2", "F4",  "E8M0", "F8_E8M0"};
  known = true;
  if (s == "F32")
    out = DType::f32;
  else if (s == "F16")
    out = DType::f16;
  else if (s == "BF16")
    out = DType::bf16;
  else {
    known = std::find(std::begin(other), std::end(other), s) != std::end(other);
    return false;
  }
  return true;
}

const char* dtype_to_name(DType t) {
  switch (t) {
    case DType::f16:
      return "F16";
    case DType::bf16:
      return "BF16";
    default:
      return "F32";
  }
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw_error(ErrorKind::invalid_input, file + ": " + what);
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// numel x element size, or false on overflow past `limit`.
bool checked_bytes(const std::vector<int64_t>& shape, size_t elem, uint64_t limit, uint64_t& out) {
  uint64_t n = elem;
  for (int64_t d : shape) {
    if (d == 0)
      n = 0;
    else if (n > limit / uint64_t(d))
      return false;
    else
      n *= uint64_t(d);
  }
  out = n;
  return true;
}

}  // namespace

int64_t SafetensorsTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->file_ = MappedFile::open(path);
  f->data_ = f->file_->data();
  f->size_ = f->file_->size();
  f->path_ = path;
  f->parse_header();
  return f;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::parse(const uint8_t* data, size_t size,
                                                        const std::string& name) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->data_ = data;
  f->size_ = size;
  f->path_ = name;
  f->parse_header();
  return f;
}

void SafetensorsFile::parse_header() {
  if (size_ < 8) fail(path_, "not a safetensors file (shorter than its 8-byte header length)");
  uint64_t n = read_u64_le(data_);
  if (n > kMaxHeaderBytes)
    fail(path_, "header length " + std::to_string(n) + " exceeds the 100 MB limit");
  if (n > size_ - 8)
    fail(path_, "header length " + std::to_string(n) + " runs past the end of the file (" +
                    std::to_string(size_) + " bytes)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data_ + 8, data_ + 8 + n);
  } catch (const nlohmann::json::exception& e) {
    fail(path_, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path_, "header is not a JSON object");
  const uint8_t* base = data_ + 8 + n;
  const uint64_t data_size = size_ - 8 - n;

  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path_, "__metadata__ is not an object");
      for (auto& [k, v] : entry.items()) {
        if (!v.is_string()) fail(path_, "__metadata__." + k + " is not a string");
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor " + name;
    if (!entry.is_object()) fail(path_, where + " is not an object");
    auto dt = entry.find("dtype");
    auto sh = entry.find("shape");
    auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) fail(path_, where + ": missing string dtype");
    if (sh == entry.end() || !sh->is_array()) fail(path_, where + ": missing shape array");
    if (off == entry.end() || !off->is_array() || off->size() != 2)
      fail(path_, where + ": data_offsets must be [begin, end]");
    SafetensorsTensor t;
    t.name = name;
    t.file = path_;
    bool known = false;
    const std::string dtype = dt->get<std::string>();
    if (!dtype_from_name(dtype, t.dtype, known)) {
      if (known)
        throw_error(ErrorKind::unsupported, path_ + ": " + where + " has dtype " + dtype +
                                                "; only F32, F16 and BF16 are supported");
      fail(path_, where + ": unknown dtype \"" + dtype + "\"");
    }
    for (auto& d : *sh) {
      if (!d.is_number_unsigned()) fail(path_, where + ": shape has a non-integer or negative dim");
      t.shape.push_back(int64_t(std::min<uint64_t>(d.get<uint64_t>(), uint64_t(INT64_MAX))));
    }
    if (t.shape.size() > 8) fail(path_, where + ": more than 8 dims");
    if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      fail(path_, where + ": data_offsets are not non-negative integers");
    uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (begin > end || end > data_size)
      fail(path_, where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                      "] lie outside the data section (" + std::to_string(data_size) + " bytes)");
    uint64_t expect = 0;
    if (!checked_bytes(t.shape, dtype_size(t.dtype), UINT64_MAX, expect) || expect != end - begin)
      fail(path_, where + ": shape and dtype need " +
                      (expect || t.shape.empty() ? std::to_string(expect) : std::string("more")) +
                      " bytes but data_offsets span " + std::to_string(end - begin));
    t.data = base + begin;
    t.nbytes = size_t(end - begin);
    tensors_.push_back(std::move(t));
  }
  // No two tensors may share bytes (empty tensors own none).
  std::vector<const SafetensorsTensor*> by_offset;
  for (const auto& t : tensors_)
    if (t.nbytes) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->data < b->data; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i - 1]->data + by_offset[i - 1]->nbytes > by_offset[i]->data)
      fail(path_, "tensors " + by_offset[i - 1]->name + " and " + by_offset[i]->name + " overlap");
  std::sort(tensors_.begin(), tensors_.end(), [](auto& a, auto& b) { return a.name < b.name; });
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  auto it =
      std::lower_bound(tensors_.begin(), tensors_.end(), name,
                       [](const SafetensorsTensor& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

SafetensorsCheckpoint SafetensorsCheckpoint::open_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  SafetensorsCheckpoint c;
  c.dir_ = dir;
  const fs::path single = fs::path(dir) / "model.safetensors";
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(index)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file_bytes(index.string()));
    } catch (const nlohmann::json::exception& e) {
      fail(index.string(), std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(index.string(), "missing the weight_map object");
    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
    for (auto& [name, shard] : j["weight_map"].items()) {
      if (!shard.is_string()) fail(index.string(), "weight_map." + name + " is not a file name");
      const std::string file = shard.get<std::string>();
      if (file.find('/') != std::string::npos || file == ".." || file.empty())
        fail(index.string(),
             "weight_map." + name + " names \"" + file + "\", not a file in " + dir);
      auto& f = shards[file];
      if (!f) {
        f = SafetensorsFile::open((fs::path(dir) / file).string());
        c.files_.push_back(f);
      }
      const SafetensorsTensor* t = f->find(name);
      if (!t) fail(f->path(), "has no tensor " + name + " though the index lists it there");
      c.tensors_.push_back(*t);
    }
  } else if (fs::exists(single)) {
    c.files_.push_back(SafetensorsFile::open(single.string()));
    c.tensors_ = c.files_.back()->tensors();
  } else {
    throw_error(ErrorKind::invalid_input,
                dir + ": no model.safetensors or model.safetensors.index.json");
  }
  std::sort(c.tensors_.begin(), c.tensors_.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (size_t i = 1; i < c.tensors_.size(); ++i)
    if (c.tensors_[i].name == c.tensors_[i - 1].name)
      fail(dir, "tensor " + c.tensors_[i].name + " appears twice");
  return c;
}

const SafetensorsTensor* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it =
      std::lower_bound(tensors_.begin(), tensors_.end(), name,
                       [](const SafetensorsTensor& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

const SafetensorsTensor& SafetensorsCheckpoint::get(const std::string& name) const {
  const SafetensorsTensor* t = find(name);
  if (!t) fail(dir_, "missing tensor " + name);
  return *t;
}

Tensor SafetensorsCheckpoint::to_f32(const std::string& name) const {
  const SafetensorsTensor& t = get(name);
  Tensor out = Tensor::empty(Shape(t.shape.begin(), t.shape.end()), DType::f32);
  float* dst = out.mutable_data<float>();
  const int64_t n = t.numel();
  if (t.dtype == DType::f32) {
    std::memcpy(dst, t.data, size_t(n) * 4);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      dst[i] = t.dtype == DType::f16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
  }
  return out;
}

void SafetensorsWriter::add(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                            const void* data, size_t nbytes) {
  uint64_t expect = 0;
  if (dtype == DType::i32 || !checked_bytes(shape, dtype_size(dtype), UINT64_MAX, expect) ||
      expect != nbytes || name == "__metadata__")
    throw_error(ErrorKind::invalid_input,
                "safetensors writer: tensor " + name + " has an unsupported dtype or wrong size");
  for (const Pending& p : tensors_)
    if (p.name == name)
      throw_error(ErrorKind::invalid_input, "safetensors writer: duplicate tensor " + name);
  const uint8_t* p = static_cast<const uint8_t*>(data);
  tensors_.push_back({name, dtype, shape, std::vector<uint8_t>(p, p + nbytes)});
}

void SafetensorsWriter::add(const std::string& name, const Tensor& t) {
  std::vector<uint8_t> bytes = contiguous_bytes(t);
  add(name, t.dtype(), std::vector<int64_t>(t.shape().begin(), t.shape().end()), bytes.data(),
      bytes.size());
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafetensorsWriter::write_file(const std::string& path,
                                   const std::vector<const Pending*>& tensors) const {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  size_t offset = 0;
  for (const Pending* t : tensors) {
    header[t->name] = {{"dtype", dtype_to_name(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->data.size()}}};
    offset += t->data.size();
  }
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');  // keeps the data 8-byte aligned
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
  AtomicFile f(path);
  f.write(len, 8);
  f.write(text);
  for (const Pending* t : tensors) f.write(t->data.data(), t->data.size());
  f.commit();
}

void SafetensorsWriter::write(const std::string& path) const {
  std::vector<const Pending*> all;
  for (const Pending& p : tensors_) all.push_back(&p);
  write_file(path, all);
}

void SafetensorsWriter::write_dir(const std::string& dir, size_t max_shard_bytes) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw_error(ErrorKind::io, "cannot create " + dir + ": " + ec.message());
  std::vector<std::vector<const Pending*>> shards(1);
  size_t in_shard = 0, total = 0;
  for (const Pending& p : tensors_) {
    if (in_shard > 0 && in_shard + p.data.size() > max_shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(&p);
    in_shard += p.data.size();
    total += p.data.size();
  }
  if (shards.size() == 1) {
    write_file((fs::path(dir) / "model.safetensors").string(), shards[0]);
    return;
  }
  nlohmann::json index = {{"metadata", {{"total_size", total}}},
                          {"weight_map", nlohmann::json::object()}};
  char name[64];
  for (size_t i = 0; i < shards.size(); ++i) {
    std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    write_file((fs::path(dir) / name).string(), shards[i]);
    for (const Pending* p : shards[i]) index["weight_map"][p->name] = name;
  }
  // The index last: a reader never finds it pointing at shards not yet written.
  write_file_atomic((fs::path(dir) / "model.safetensors.index.json").string(),
                    index.dump(2) + "\n");
}

}  // namespace anymal
