// 1-wide "vector" with the same interface as VecAvx2/VecAvx512: the scalar variant of the fast
// kernels, and the tail loop of the wide ones. Included inside an ISA namespace (see
// kernels_isa.inc) so each variant gets its own copy compiled with its own flags.
struct VecScalar {
  using R = float;
  static constexpr int W = 1;
  static R load(const float* p) { return *p; }
  static void store(float* p, R v) { *p = v; }
  static R set1(float x) { return x; }
  static R add(R a, R b) { return a + b; }
  static R sub(R a, R b) { return a - b; }
  static R mul(R a, R b) { return a * b; }
  static R div(R a, R b) { return a / b; }
  static R sqrt(R a) { return std::sqrt(a); }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R max(R a, R b) { return a > b ? a : b; }
  static R min(R a, R b) { return a < b ? a : b; }
  static R abs(R a) { return bits_to_f32(f32_to_bits(a) & 0x7fffffffu); }
  // |mag| with the sign of `sign`
  static R copysign(R mag, R sign) {
    return bits_to_f32((f32_to_bits(mag) & 0x7fffffffu) | (f32_to_bits(sign) & 0x80000000u));
  }
  static R round(R a) { return std::nearbyint(a); }
  // 2^n for integral n in [-126, 127]
  static R pow2n(R n) { return bits_to_f32(uint32_t(int32_t(n) + 127) << 23); }
  // W elements widened to f32 from int8 / f16 / bf16 storage.
  static R load_i8(const int8_t* p) { return float(*p); }
  static R load_f16(const uint16_t* p) { return f16_to_f32(*p); }
  static R load_bf16(const uint16_t* p) { return bf16_to_f32(*p); }
  // W 4-bit values from W bytes: the low nibbles (high = false) or the high ones.
  static R load_nibbles(const uint8_t* p, bool high) { return float(high ? *p >> 4 : *p & 0xF); }
  static float half_to_float(uint16_t h) { return f16_to_f32(h); }
  static float hsum(R a) { return a; }
  static float hmax(R a) { return a; }
};
