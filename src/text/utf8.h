// UTF-8 helpers for the tokenizers, lenient the way llama.cpp is: a tokenizer never rejects
// text, it replaces what it cannot decode. Also the GPT-2 byte-level alphabet (each byte seen as
// one printable code point) that byte-level BPE vocabularies are written in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace anymal::text {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Bytes in the sequence a lead byte announces, from its high nibble only (1 for ASCII and for
// stray continuation bytes, 4 for 0xF0-0xFF): llama.cpp's unicode_len_utf8.
size_t utf8_seq_len(uint8_t lead);

// Code points of `s`. Each byte that does not start a well-formed sequence becomes U+FFFD and
// decoding resumes at the next byte. Like llama.cpp, overlong forms and surrogates are decoded
// as written, and 4-byte leads may yield values above U+10FFFF.
std::vector<uint32_t> utf8_decode(std::string_view s);

// Appends the UTF-8 form of `cpt`; values above U+10FFFF are written as U+FFFD.
void utf8_append(std::string& out, uint32_t cpt);

// How many bytes at the end of `s` start a multi-byte sequence that is not finished yet
// (0 when `s` ends on a sequence boundary): what a stream decoder holds back.
size_t utf8_incomplete_tail(std::string_view s);

// The byte-level alphabet: byte b as the UTF-8 of its code point (printable bytes map to
// themselves, the others to U+0100 + n in byte order).
const std::string& byte_to_unicode(uint8_t b);
// The byte a code point of that alphabet stands for, or -1 when it is not one of its 256.
int unicode_to_byte(uint32_t cpt);

}  // namespace anymal::text
