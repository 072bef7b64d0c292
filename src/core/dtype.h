// Element types a Tensor can hold, and scalar conversions between the 16-bit floats and f32.
// f16 is IEEE binary16; bf16 is the top half of an f32 (round-to-nearest-even on conversion).
#pragma once

#include <cstdint>
#include <cstring>

namespace anymal {

enum class DType : uint8_t { f32, f16, bf16, i32 };

constexpr size_t dtype_size(DType t) { return t == DType::f16 || t == DType::bf16 ? 2 : 4; }
const char* dtype_name(DType t);
constexpr bool is_float(DType t) { return t != DType::i32; }

inline float bits_to_f32(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
inline uint32_t f32_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float bf16_to_f32(uint16_t h) { return bits_to_f32(uint32_t(h) << 16); }
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1);                                          // round to nearest even
  return uint16_t(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

}  // namespace anymal
