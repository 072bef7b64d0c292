#include "formats/gguf.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "backend/cpu/kernels.h"
#include "backend/cpu/quant.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal {

namespace {

constexpr int kMaxArrayDepth = 8;
constexpr int kMaxTensorDims = 4;  // GGML_MAX_DIMS

size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::u8:
    case GgufType::i8:
    case GgufType::boolean:
      return 1;
    case GgufType::u16:
    case GgufType::i16:
      return 2;
    case GgufType::u32:
    case GgufType::i32:
    case GgufType::f32:
      return 4;
    case GgufType::u64:
    case GgufType::i64:
    case GgufType::f64:
      return 8;
    case GgufType::string:
    case GgufType::array:
      return 0;
  }
  return 0;
}

bool known_type(uint32_t t) { return t <= uint32_t(GgufType::f64); }

// Bounds-checked little-endian reads over the file's bytes.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, std::string name)
      : data_(data), size_(size), name_(std::move(name)) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const char* what) {
    uint64_t len = read<uint64_t>(what);
    if (len > remaining())
      fail(std::string(what) + " of " + std::to_string(len) +
           " bytes runs past the end of the file");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), size_t(len));
    pos_ += size_t(len);
    return s;
  }

  GgufValue read_value(GgufType type, const std::string& key, int depth) {
    GgufValue v;
    v.type = type;
    switch (type) {
      case GgufType::u8:
        v.i = read<uint8_t>(key.c_str());
        break;
      case GgufType::i8:
        v.i = read<int8_t>(key.c_str());
        break;
      case GgufType::u16:
        v.i = read<uint16_t>(key.c_str());
        break;
      case GgufType::i16:
        v.i = read<int16_t>(key.c_str());
        break;
      case GgufType::u32:
        v.i = read<uint32_t>(key.c_str());
        break;
      case GgufType::i32:
        v.i = read<int32_t>(key.c_str());
        break;
      case GgufType::u64:
        v.i = int64_t(read<uint64_t>(key.c_str()));
        break;
      case GgufType::i64:
        v.i = read<int64_t>(key.c_str());
        break;
      case GgufType::f32:
        v.f = read<float>(key.c_str());
        break;
      case GgufType::f64:
        v.f = read<double>(key.c_str());
        break;
      case GgufType::boolean: {
        uint8_t b = read<uint8_t>(key.c_str());
        if (b > 1) fail("key " + key + ": bool value " + std::to_string(b));
        v.i = b;
        break;
      }
      case GgufType::string:
        v.s = read_string(key.c_str());
        break;
      case GgufType::array:
        v.array = read_array(key, depth + 1);
        break;
    }
    return v;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorKind::invalid_input, name_ + ": " + what);
  }

 private:
  void need(size_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("truncated: ") + what + " at offset " + std::to_string(pos_) +
           " runs past the end of the file (" + std::to_string(size_) + " bytes)");
  }

  std::shared_ptr<GgufArray> read_array(const std::string& key, int depth) {
    if (depth > kMaxArrayDepth)
      fail("key " + key + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    auto arr = std::make_shared<GgufArray>();
    uint32_t elem = read<uint32_t>("array type");
    if (!known_type(elem))
      fail("key " + key + ": unknown array element type " + std::to_string(elem));
    arr->elem = GgufType(elem);
    uint64_t count = read<uint64_t>("array length");
    // Every element takes at least this many bytes: a count the file cannot hold is corrupt
    // (and must not turn into a huge allocation).
    size_t min_size = arr->elem == GgufType::string  ? 8
                      : arr->elem == GgufType::array ? 12
                                                     : scalar_size(arr->elem);
    if (count > remaining() / min_size)
      fail("key " + key + ": array of " + std::to_string(count) +
           " elements runs past the end of the file");
    for (uint64_t k = 0; k < count; ++k) {
      GgufValue e = read_value(arr->elem, key, depth);
      switch (arr->elem) {
        case GgufType::string:
          arr->strings.push_back(std::move(e.s));
          break;
        case GgufType::array:
          arr->arrays.push_back(std::move(e));
          break;
        case GgufType::f32:
        case GgufType::f64:
          arr->floats.push_back(e.f);
          break;
        default:
          arr->ints.push_back(e.i);
          break;
      }
    }
    return arr;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string name_;
};

std::string type_mismatch(const std::string& key, const GgufValue& v, const char* expected) {
  return "key " + key + " is a " + gguf_type_name(v.type) + ", expected " + expected;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  static const char* names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                "bool", "string", "array", "u64", "i64", "f64"};
  return uint32_t(t) <= uint32_t(GgufType::f64) ? names[uint32_t(t)] : "unknown";
}

bool GgufValue::is_integer() const {
  return !is_float() && type != GgufType::string && type != GgufType::array;
}

std::string GgufValue::str() const {
  switch (type) {
    case GgufType::string:
      return "\"" + s + "\"";
    case GgufType::boolean:
      return i ? "true" : "false";
    case GgufType::f32:
    case GgufType::f64: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%g", f);
      return buf;
    }
    case GgufType::u64:
      return std::to_string(uint64_t(i));
    case GgufType::array: {
      std::string out = "[";
      size_t n = array->size(), show = std::min<size_t>(n, 8);
      for (size_t k = 0; k < show; ++k) {
        if (k) out += ", ";
        if (array->elem == GgufType::string) {
          out += "\"" + array->strings[k] + "\"";
        } else if (array->elem == GgufType::array) {
          out += array->arrays[k].str();
        } else if (array->elem == GgufType::f32 || array->elem == GgufType::f64) {
          GgufValue e;
          e.type = array->elem;
          e.f = array->floats[k];
          out += e.str();
        } else {
          out += std::to_string(array->ints[k]);
        }
      }
      if (n > show) out += ", ...";
      return out + "] (" + std::to_string(n) + " " + gguf_type_name(array->elem) + ")";
    }
    default:
      return std::to_string(i);
  }
}

size_t GgufArray::size() const {
  return ints.size() + floats.size() + strings.size() + arrays.size();
}

int64_t GgufTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

Shape GgufTensorInfo::shape() const { return Shape(ne.rbegin(), ne.rend()); }

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
  return from_mapped(MappedFile::open(path));
}

std::shared_ptr<GgufFile> GgufFile::from_mapped(std::shared_ptr<MappedFile> file) {
  std::shared_ptr<GgufFile> g(new GgufFile());
  g->file_ = std::move(file);
  g->data_ = g->file_->data();
  g->size_ = g->file_->size();
  g->path_ = g->file_->path();
  g->parse_all();
  return g;
}

std::shared_ptr<GgufFile> GgufFile::parse(const uint8_t* data, size_t size,
                                          const std::string& name) {
  std::shared_ptr<GgufFile> g(new GgufFile());
  g->data_ = data;
  g->size_ = size;
  g->path_ = name;
  g->parse_all();
  return g;
}

void GgufFile::fail(const std::string& what) const {
  throw_error(ErrorKind::invalid_input, path_ + ": " + what);
}

void GgufFile::parse_all() {
  Cursor c(data_, size_, path_);
  if (size_ < 4 || std::memcmp(data_, "GGUF", 4) != 0) fail("not a GGUF file (bad magic)");
  c.read<uint32_t>("magic");
  version_ = c.read<uint32_t>("version");
  if (version_ == 1) fail("GGUF version 1 is not supported (re-convert the model)");
  if (version_ != 2 && version_ != 3) fail("unknown GGUF version " + std::to_string(version_));
  uint64_t n_tensors = c.read<uint64_t>("tensor count");
  uint64_t n_kv = c.read<uint64_t>("metadata count");
  if (n_kv > c.remaining() / 12)
    fail("metadata count " + std::to_string(n_kv) + " runs past the end of the file");
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = c.read_string("metadata key");
    uint32_t type = c.read<uint32_t>("metadata type");
    if (!known_type(type)) fail("key " + key + ": unknown value type " + std::to_string(type));
    if (kv_index_.count(key)) fail("duplicate key " + key);
    kv_index_[key] = kv_.size();
    kv_.emplace_back(key, c.read_value(GgufType(type), key, 0));
  }
  if (const GgufValue* a = find("general.alignment")) {
    if (!a->is_integer() || a->i <= 0 || (a->i & (a->i - 1)) != 0 || a->i > (1 << 20))
      fail("general.alignment must be a power of two, got " + a->str());
    alignment_ = size_t(a->i);
  }
  // A tensor info takes at least 8 (name) + 4 (dims) + 8 (one dim) + 4 (type) + 8 (offset).
  if (n_tensors > c.remaining() / 32)
    fail("tensor count " + std::to_string(n_tensors) + " runs past the end of the file");
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo t;
    t.name = c.read_string("tensor name");
    uint32_t nd = c.read<uint32_t>("tensor dims");
    if (nd == 0 || nd > kMaxTensorDims)
      fail("tensor " + t.name + " has " + std::to_string(nd) + " dims (1 to 4 allowed)");
    int64_t numel = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      uint64_t v = c.read<uint64_t>("tensor dim");
      if (v > uint64_t(std::numeric_limits<int64_t>::max()) ||
          (v > 0 && uint64_t(numel) > uint64_t(std::numeric_limits<int64_t>::max()) / v))
        fail("tensor " + t.name + " has an impossible size");
      t.ne.push_back(int64_t(v));
      numel *= int64_t(v);
    }
    uint32_t type = c.read<uint32_t>("tensor type");
    const GgmlTypeInfo* info = ggml_type_info(type);
    if (!info) fail("tensor " + t.name + " has unknown type " + std::to_string(type));
    t.type = GgmlType(type);
    if (t.ne[0] % info->block_size != 0)
      fail("tensor " + t.name + " of type " + info->name + " has a row of " +
           std::to_string(t.ne[0]) + " elements, not a multiple of its block size " +
           std::to_string(info->block_size));
    t.offset = c.read<uint64_t>("tensor offset");
    if (t.offset % alignment_ != 0)
      fail("tensor " + t.name + " data at offset " + std::to_string(t.offset) +
           " is not aligned to " + std::to_string(alignment_) + " bytes");
    if (uint64_t(numel / info->block_size) > std::numeric_limits<size_t>::max() / info->type_size)
      fail("tensor " + t.name + " has an impossible size");
    t.nbytes = size_t(numel / info->block_size) * info->type_size;
    if (tensor_index_.count(t.name)) fail("duplicate tensor " + t.name);
    tensor_index_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
  }
  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > size_ && !tensors_.empty()) fail("truncated: no tensor data after the header");
  size_t data_size = size_ >= data_offset_ ? size_ - data_offset_ : 0;
  for (const GgufTensorInfo& t : tensors_)
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      fail("tensor " + t.name + " data [" + std::to_string(t.offset) + ", " +
           std::to_string(t.offset + t.nbytes) + ") lies outside the file's data section (" +
           std::to_string(data_size) + " bytes)");
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

namespace {
const GgufValue& require(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  if (!v) throw_error(ErrorKind::invalid_input, f.path() + ": missing key " + key);
  return *v;
}
}  // namespace

std::string GgufFile::get_string(const std::string& key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::string) fail(type_mismatch(key, v, "string"));
  return v.s;
}

int64_t GgufFile::get_int(const std::string& key) const {
  const GgufValue& v = require(*this, key);
  if (!v.is_integer() || v.type == GgufType::boolean) fail(type_mismatch(key, v, "integer"));
  return v.i;
}

double GgufFile::get_float(const std::string& key) const {
  const GgufValue& v = require(*this, key);
  if (v.is_float()) return v.f;
  if (v.is_integer() && v.type != GgufType::boolean) return double(v.i);
  fail(type_mismatch(key, v, "number"));
}

bool GgufFile::get_bool(const std::string& key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::boolean) fail(type_mismatch(key, v, "bool"));
  return v.i != 0;
}

const GgufArray& GgufFile::get_array(const std::string& key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::array) fail(type_mismatch(key, v, "array"));
  return *v.array;
}

int64_t GgufFile::get_int(const std::string& key, int64_t fallback) const {
  return find(key) ? get_int(key) : fallback;
}
double GgufFile::get_float(const std::string& key, double fallback) const {
  return find(key) ? get_float(key) : fallback;
}
bool GgufFile::get_bool(const std::string& key, bool fallback) const {
  return find(key) ? get_bool(key) : fallback;
}
std::string GgufFile::get_string(const std::string& key, const std::string& fallback) const {
  return find(key) ? get_string(key) : fallback;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor_info(const std::string& name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (!t) fail("missing tensor " + name);
  return *t;
}

Tensor GgufFile::tensor(const std::string& name) const {
  const GgufTensorInfo& t = tensor_info(name);
  DType dtype;
  switch (t.type) {
    case GgmlType::f32:
      dtype = DType::f32;
      break;
    case GgmlType::f16:
      dtype = DType::f16;
      break;
    case GgmlType::bf16:
      dtype = DType::bf16;
      break;
    case GgmlType::i32:
      dtype = DType::i32;
      break;
    default:
      throw_error(ErrorKind::unsupported, path_ + ": tensor " + name + " is " +
                                              ggml_type_name(t.type) +
                                              ", not a plain f32/f16/bf16/i32 tensor");
  }
  Tensor out;
  if (file_) {
    out = Tensor::from_mapped(file_, data_offset_ + t.offset, t.shape(), dtype);
  } else {  // parsed from caller-owned bytes: copy (tests and fuzzing only)
    out = Tensor::empty(t.shape(), dtype);
    std::memcpy(out.mutable_raw(), tensor_data(t), t.nbytes);
  }
  return out.set_name(name);
}

Tensor GgufFile::dequantize(const std::string& name) const {
  const GgufTensorInfo& t = tensor_info(name);
  if (!cpu::can_dequantize(t.type))
    throw_error(ErrorKind::unsupported, path_ + ": tensor " + name + " has type " +
                                            ggml_type_name(t.type) +
                                            ", which this build cannot read yet");
  Tensor out = Tensor::empty(t.shape());
  // The SIMD kernels in parallel, in runs of whole blocks (every block size divides 256): a
  // ViT-L mmproj widens 300M values at load.
  const int64_t n = t.numel(), block = n % 256 == 0 ? 256 : n;
  const size_t block_bytes = ggml_row_bytes(t.type, block);
  const uint8_t* src = tensor_data(t);
  float* dst = out.mutable_data<float>();
  const cpu::CpuKernels& kern = cpu::cpu_kernels();
  parallel_for(n / block, std::max<int64_t>(1, (1 << 16) / block), [&](int64_t lo, int64_t hi) {
    kern.dequantize(t.type, src + size_t(lo) * block_bytes, dst + lo * block, (hi - lo) * block);
  });
  return out.set_name(name);
}

}  // namespace anymal
