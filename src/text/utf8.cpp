#include "text/utf8.h"

#include <array>

namespace anymal::text {

size_t utf8_seq_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

namespace {

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Decodes one code point at `pos`; returns false (leaving `pos`) when the bytes there do not
// form a sequence. Mirrors llama.cpp's unicode_cpt_from_utf8 bit tests exactly, since which
// bytes turn into U+FFFD changes the tokens.
bool decode_one(std::string_view s, size_t& pos, uint32_t& cpt) {
  const auto b = [&](size_t k) { return uint8_t(s[pos + k]); };
  const uint8_t b0 = b(0);
  if (!(b0 & 0x80)) {
    cpt = b0;
    pos += 1;
    return true;
  }
  if (!(b0 & 0x40)) return false;
  size_t n;
  if (!(b0 & 0x20)) {
    n = 2;
    cpt = b0 & 0x1F;
  } else if (!(b0 & 0x10)) {
    n = 3;
    cpt = b0 & 0x0F;
  } else if (!(b0 & 0x08)) {
    n = 4;
    cpt = b0 & 0x07;
  } else {
    return false;
  }
  if (pos + n > s.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    if (!is_continuation(b(k))) return false;
    cpt = (cpt << 6) | (b(k) & 0x3F);
  }
  pos += n;
  return true;
}

struct ByteAlphabet {
  std::array<std::string, 256> to_unicode;
  std::array<int16_t, 512> to_byte;  // indexed by code point; every alphabet member is < 0x144

  ByteAlphabet() {
    to_byte.fill(-1);
    auto printable = [](int b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cpt = printable(b) ? uint32_t(b) : uint32_t(next++);
      utf8_append(to_unicode[b], cpt);
      to_byte[cpt] = int16_t(b);
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

}  // namespace

std::vector<uint32_t> utf8_decode(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    uint32_t cpt = 0;
    if (decode_one(s, pos, cpt)) {
      out.push_back(cpt);
    } else {
      out.push_back(kReplacementChar);
      ++pos;
    }
  }
  return out;
}

void utf8_append(std::string& out, uint32_t cpt) {
  if (cpt <= 0x7F) {
    out += char(cpt);
  } else if (cpt <= 0x7FF) {
    out += char(0xC0 | (cpt >> 6));
    out += char(0x80 | (cpt & 0x3F));
  } else if (cpt <= 0xFFFF) {
    out += char(0xE0 | (cpt >> 12));
    out += char(0x80 | ((cpt >> 6) & 0x3F));
    out += char(0x80 | (cpt & 0x3F));
  } else if (cpt <= 0x10FFFF) {
    out += char(0xF0 | (cpt >> 18));
    out += char(0x80 | ((cpt >> 12) & 0x3F));
    out += char(0x80 | ((cpt >> 6) & 0x3F));
    out += char(0x80 | (cpt & 0x3F));
  } else {
    utf8_append(out, kReplacementChar);
  }
}

size_t utf8_incomplete_tail(std::string_view s) {
  // Look back over at most three continuation bytes for the lead byte of the last sequence.
  const size_t n = s.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const uint8_t c = uint8_t(s[n - back]);
    if (is_continuation(c)) continue;
    const bool multi = (c & 0xC0) == 0xC0;
    return multi && utf8_seq_len(c) > back ? back : 0;
  }
  return 0;
}

const std::string& byte_to_unicode(uint8_t b) { return alphabet().to_unicode[b]; }

int unicode_to_byte(uint32_t cpt) {
  return cpt < alphabet().to_byte.size() ? alphabet().to_byte[cpt] : -1;
}

}  // namespace anymal::text
