#include "formats/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"

namespace anymal {

namespace {

class Out {
 public:
  template <typename T>
  void put(T v) {
    append(&v, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    append(s.data(), s.size());
  }
  void pad_to(size_t alignment) {
    buf_.resize((buf_.size() + alignment - 1) / alignment * alignment, 0);
  }
  void put_value(const GgufValue& v) {
    switch (v.type) {
      case GgufType::u8:
        put<uint8_t>(uint8_t(v.i));
        break;
      case GgufType::i8:
        put<int8_t>(int8_t(v.i));
        break;
      case GgufType::u16:
        put<uint16_t>(uint16_t(v.i));
        break;
      case GgufType::i16:
        put<int16_t>(int16_t(v.i));
        break;
      case GgufType::u32:
        put<uint32_t>(uint32_t(v.i));
        break;
      case GgufType::i32:
        put<int32_t>(int32_t(v.i));
        break;
      case GgufType::u64:
        put<uint64_t>(uint64_t(v.i));
        break;
      case GgufType::i64:
        put<int64_t>(v.i);
        break;
      case GgufType::f32:
        put<float>(float(v.f));
        break;
      case GgufType::f64:
        put<double>(v.f);
        break;
      case GgufType::boolean:
        put<uint8_t>(v.i ? 1 : 0);
        break;
      case GgufType::string:
        put_string(v.s);
        break;
      case GgufType::array: {
        const GgufArray& a = *v.array;
        put<uint32_t>(uint32_t(a.elem));
        put<uint64_t>(a.size());
        for (size_t k = 0; k < a.size(); ++k) {
          GgufValue e;
          e.type = a.elem;
          if (a.elem == GgufType::string) {
            e.s = a.strings[k];
          } else if (a.elem == GgufType::array) {
            e = a.arrays[k];
          } else if (a.elem == GgufType::f32 || a.elem == GgufType::f64) {
            e.f = a.floats[k];
          } else {
            e.i = a.ints[k];
          }
          put_value(e);
        }
        break;
      }
    }
  }
  const std::vector<uint8_t>& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }

 private:
  void append(const void* p, size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    if (n) std::memcpy(buf_.data() + at, p, n);
  }
  std::vector<uint8_t> buf_;
};

GgufValue scalar(GgufType t, int64_t i, double f = 0) {
  GgufValue v;
  v.type = t;
  v.i = i;
  v.f = f;
  return v;
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  for (auto& [k, v] : kv_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  kv_.emplace_back(key, std::move(value));
}

void GgufWriter::set_u32(const std::string& key, uint32_t v) { set(key, scalar(GgufType::u32, v)); }
void GgufWriter::set_i32(const std::string& key, int32_t v) { set(key, scalar(GgufType::i32, v)); }
void GgufWriter::set_u64(const std::string& key, uint64_t v) {
  set(key, scalar(GgufType::u64, int64_t(v)));
}
void GgufWriter::set_f32(const std::string& key, float v) { set(key, scalar(GgufType::f32, 0, v)); }
void GgufWriter::set_bool(const std::string& key, bool v) {
  set(key, scalar(GgufType::boolean, v));
}

void GgufWriter::set_string(const std::string& key, const std::string& s) {
  GgufValue v;
  v.type = GgufType::string;
  v.s = s;
  set(key, std::move(v));
}

void GgufWriter::set_strings(const std::string& key, const std::vector<std::string>& s) {
  GgufValue v;
  v.type = GgufType::array;
  v.array = std::make_shared<GgufArray>();
  v.array->elem = GgufType::string;
  v.array->strings = s;
  set(key, std::move(v));
}

void GgufWriter::set_f32s(const std::string& key, const std::vector<float>& f) {
  GgufValue v;
  v.type = GgufType::array;
  v.array = std::make_shared<GgufArray>();
  v.array->elem = GgufType::f32;
  v.array->floats.assign(f.begin(), f.end());
  set(key, std::move(v));
}

void GgufWriter::set_i32s(const std::string& key, const std::vector<int32_t>& n) {
  GgufValue v;
  v.type = GgufType::array;
  v.array = std::make_shared<GgufArray>();
  v.array->elem = GgufType::i32;
  v.array->ints.assign(n.begin(), n.end());
  set(key, std::move(v));
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                            const void* data, size_t nbytes) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  auto copy = std::make_shared<std::vector<uint8_t>>(p, p + nbytes);
  add_tensor_ref(name, type, ne, copy->data(), nbytes, copy);
}

void GgufWriter::add_tensor_ref(const std::string& name, GgmlType type,
                                const std::vector<int64_t>& ne, const void* data, size_t nbytes,
                                std::shared_ptr<const void> owner) {
  const GgmlTypeInfo* info = ggml_type_info(uint32_t(type));
  int64_t numel = 1;
  for (int64_t d : ne) numel *= d;
  if (!info || ne.empty() || ne.size() > 4 || ne[0] % info->block_size != 0 ||
      size_t(numel / info->block_size) * info->type_size != nbytes)
    throw_error(ErrorKind::invalid_input,
                "gguf writer: tensor " + name + " has inconsistent type, dims or size");
  for (const PendingTensor& t : tensors_)
    if (t.name == name)
      throw_error(ErrorKind::invalid_input, "gguf writer: duplicate tensor " + name);
  tensors_.push_back({name, type, ne, static_cast<const uint8_t*>(data), nbytes, std::move(owner)});
}

void GgufWriter::add_tensor(const std::string& name, const Tensor& t) {
  GgmlType type = GgmlType::f32;
  switch (t.dtype()) {
    case DType::f32:
      type = GgmlType::f32;
      break;
    case DType::f16:
      type = GgmlType::f16;
      break;
    case DType::bf16:
      type = GgmlType::bf16;
      break;
    case DType::i32:
      type = GgmlType::i32;
      break;
  }
  std::vector<int64_t> ne(t.shape().begin(), t.shape().end());
  std::reverse(ne.begin(), ne.end());
  if (ne.empty()) ne.push_back(1);
  std::vector<uint8_t> bytes = contiguous_bytes(t);
  add_tensor(name, type, ne, bytes.data(), bytes.size());
}

size_t GgufWriter::alignment() const {
  for (auto& [k, v] : kv_)
    if (k == "general.alignment" && v.is_integer() && v.i > 0) return size_t(v.i);
  return 32;
}

std::vector<uint8_t> GgufWriter::header() const {
  size_t align = alignment();
  Out out;
  out.put<uint32_t>(0x46554747u);  // "GGUF"
  out.put<uint32_t>(3);
  out.put<uint64_t>(tensors_.size());
  out.put<uint64_t>(kv_.size());
  for (auto& [k, v] : kv_) {
    out.put_string(k);
    out.put<uint32_t>(uint32_t(v.type));
    out.put_value(v);
  }
  size_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    out.put_string(t.name);
    out.put<uint32_t>(uint32_t(t.ne.size()));
    for (int64_t d : t.ne) out.put<uint64_t>(uint64_t(d));
    out.put<uint32_t>(uint32_t(t.type));
    out.put<uint64_t>(offset);
    offset = (offset + t.nbytes + align - 1) / align * align;
  }
  out.pad_to(align);
  return out.bytes();
}

void GgufWriter::write(const std::string& path) const {
  const size_t align = alignment();
  const std::vector<uint8_t> head = header();
  AtomicFile file(path);
  file.write(head.data(), head.size());
  for (const PendingTensor& t : tensors_) {
    file.write(t.data, t.nbytes);
    file.pad((align - t.nbytes % align) % align);
  }
  file.commit();
}

std::shared_ptr<GgufFile> GgufWriter::to_memory(const std::string& name) const {
  const size_t align = alignment();
  const std::vector<uint8_t> head = header();
  size_t total = head.size();
  for (const PendingTensor& t : tensors_) total += (t.nbytes + align - 1) / align * align;
  auto mem = MappedFile::anonymous(total, name);
  uint8_t* p = mem->writable_data();
  std::memcpy(p, head.data(), head.size());
  p += head.size();
  for (const PendingTensor& t : tensors_) {
    if (t.nbytes) std::memcpy(p, t.data, t.nbytes);  // padding stays zero
    p += (t.nbytes + align - 1) / align * align;
  }
  return GgufFile::from_mapped(std::move(mem));
}

}  // namespace anymal
