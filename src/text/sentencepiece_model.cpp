#include "text/sentencepiece_model.h"

#include <cstring>

#include "core/error.h"

namespace anymal::text {

namespace {

// Protobuf wire format: each field is a varint key (number << 3 | wire type) and a value.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n, const std::string& name) : p_(p), end_(p + n), name_(name) {}
  bool done() const { return p_ == end_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) fail("truncated varint");
      uint8_t b = *p_++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
  }
  Reader sub() {
    uint64_t n = varint();
    if (n > uint64_t(end_ - p_)) fail("length-delimited field runs past the end");
    Reader r(p_, size_t(n), name_);
    p_ += n;
    return r;
  }
  std::string bytes() {
    Reader r = sub();
    return std::string(reinterpret_cast<const char*>(r.p_), size_t(r.end_ - r.p_));
  }
  float fixed32() {
    if (end_ - p_ < 4) fail("truncated fixed32");
    float f;
    std::memcpy(&f, p_, 4);
    p_ += 4;
    return f;
  }
  void skip(uint32_t wire) {
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        advance(8);
        break;
      case 2:
        sub();
        break;
      case 5:
        advance(4);
        break;
      default:
        fail("unsupported wire type " + std::to_string(wire));
    }
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorKind::invalid_input, name_ + ": not a SentencePiece model (" + what + ")");
  }

 private:
  void advance(size_t n) {
    if (size_t(end_ - p_) < n) fail("truncated field");
    p_ += n;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  const std::string& name_;
};

// Calls fn(field, wire, reader) for every field of a message.
template <typename Fn>
void for_each_field(Reader& r, Fn&& fn) {
  while (!r.done()) {
    uint64_t key = r.varint();
    fn(uint32_t(key >> 3), uint32_t(key & 7), r);
  }
}

void expect(Reader& r, uint32_t wire, uint32_t want, const char* field) {
  if (wire != want) r.fail(std::string("field ") + field + " has the wrong wire type");
}

class Writer {
 public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += char(uint8_t(v) | 0x80);
      v >>= 7;
    }
    out_ += char(v);
  }
  void key(uint32_t field, uint32_t wire) { varint(uint64_t(field) << 3 | wire); }
  void int_field(uint32_t field, int64_t v) {
    key(field, 0);
    varint(uint64_t(v));  // negative int32 values take 10 bytes, as protobuf writes them
  }
  void bytes_field(uint32_t field, const std::string& s) {
    key(field, 2);
    varint(s.size());
    out_ += s;
  }
  void float_field(uint32_t field, float f) {
    key(field, 5);
    char b[4];
    std::memcpy(b, &f, 4);
    out_.append(b, 4);
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

SentencePieceModel SentencePieceModel::parse(const std::string& bytes, const std::string& name) {
  SentencePieceModel m;
  Reader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
  for_each_field(r, [&](uint32_t field, uint32_t wire, Reader& r) {
    if (field == 1) {  // repeated SentencePiece pieces
      expect(r, wire, 2, "pieces");
      Reader p = r.sub();
      Piece piece;
      for_each_field(p, [&](uint32_t f, uint32_t w, Reader& p) {
        if (f == 1) {
          expect(p, w, 2, "piece");
          piece.text = p.bytes();
        } else if (f == 2) {
          expect(p, w, 5, "score");
          piece.score = p.fixed32();
        } else if (f == 3) {
          expect(p, w, 0, "type");
          piece.type = int32_t(p.varint());
        } else {
          p.skip(w);
        }
      });
      if (piece.type < normal || piece.type > byte)
        r.fail("piece " + std::to_string(m.pieces.size()) + " has type " +
               std::to_string(piece.type));
      m.pieces.push_back(std::move(piece));
    } else if (field == 2) {  // TrainerSpec
      expect(r, wire, 2, "trainer_spec");
      Reader t = r.sub();
      for_each_field(t, [&](uint32_t f, uint32_t w, Reader& t) {
        if (w != 0) return t.skip(w);
        const int64_t v = int64_t(t.varint());
        if (f == 3)
          m.model_type = int32_t(v);
        else if (f == 35)
          m.byte_fallback = v != 0;
        else if (f == 40)
          m.unk_id = int32_t(v);
        else if (f == 41)
          m.bos_id = int32_t(v);
        else if (f == 42)
          m.eos_id = int32_t(v);
        else if (f == 43)
          m.pad_id = int32_t(v);
      });
    } else if (field == 3) {  // NormalizerSpec
      expect(r, wire, 2, "normalizer_spec");
      Reader n = r.sub();
      for_each_field(n, [&](uint32_t f, uint32_t w, Reader& n) {
        if (f == 3 && w == 0)
          m.add_dummy_prefix = n.varint() != 0;
        else
          n.skip(w);
      });
    } else {
      r.skip(wire);
    }
  });
  if (m.pieces.empty()) r.fail("no pieces");
  return m;
}

std::string SentencePieceModel::serialize() const {
  Writer out;
  for (const Piece& p : pieces) {
    Writer w;
    w.bytes_field(1, p.text);
    w.float_field(2, p.score);
    if (p.type != normal) w.int_field(3, p.type);
    out.bytes_field(1, w.str());
  }
  Writer trainer;
  trainer.int_field(3, model_type);
  trainer.int_field(35, byte_fallback);
  trainer.int_field(40, unk_id);
  trainer.int_field(41, bos_id);
  trainer.int_field(42, eos_id);
  trainer.int_field(43, pad_id);
  out.bytes_field(2, trainer.str());
  Writer normalizer;
  normalizer.bytes_field(1, "identity");
  normalizer.int_field(3, add_dummy_prefix);
  normalizer.int_field(4, 0);  // remove_extra_whitespaces: llama's tokenizers keep them
  out.bytes_field(3, normalizer.str());
  return out.str();
}

}  // namespace anymal::text
