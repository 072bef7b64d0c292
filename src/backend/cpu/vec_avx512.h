// 16-wide AVX-512F vector; see vec_scalar.h for the interface.
struct VecAvx512 {
  using R = __m512;
  static constexpr int W = 16;
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }
  static R sqrt(R a) { return _mm512_sqrt_ps(a); }
  // Lanes 2i and 2i+1 exchanged (RoPE's adjacent pairs).
  static R swap_pairs(R a) { return _mm512_permute_ps(a, 0xB1); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R min(R a, R b) { return _mm512_min_ps(a, b); }
  static R abs(R a) { return _mm512_abs_ps(a); }
  static R copysign(R mag, R sign) {
    __m512i m = _mm512_set1_epi32(int(0x80000000u));
    __m512i r = _mm512_or_si512(_mm512_andnot_si512(m, _mm512_castps_si512(mag)),
                                _mm512_and_si512(m, _mm512_castps_si512(sign)));
    return _mm512_castsi512_ps(r);
  }
  static R round(R a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static R pow2n(R n) {
    __m512i i = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(i, 23));
  }
  static R load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static R load_f16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static R load_bf16(const uint16_t* p) {
    __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
  }
  static R load_nibbles(const uint8_t* p, bool high) {
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (high) b = _mm_srli_epi16(b, 4);
    b = _mm_and_si128(b, _mm_set1_epi8(0x0F));
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b));
  }
  static float half_to_float(uint16_t h) { return _cvtsh_ss(h); }
  static float hsum(R a) { return _mm512_reduce_add_ps(a); }
  // The 16 sums of v[i·4 + r] (r, i < 4) to y[i·ldy + r]: one transposing reduction tree
  // (45 instructions) instead of 16 separate horizontal sums (~130): in a 4×4 dot tile over a
  // short row they cost as much as the dot itself.
  static void hsum_4x4(const R* v, float* y, int64_t ldy) {
    R b[8], c[4];
    for (int q = 0; q < 8; ++q)  // per 128-bit block: [v2q lanes 0+2, v2q+1 0+2, v2q 1+3, ...]
      b[q] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * q], v[2 * q + 1]),
                           _mm512_unpackhi_ps(v[2 * q], v[2 * q + 1]));
    for (int q = 0; q < 4; ++q)  // per 128-bit block: a partial sum of each of v4q..v4q+3
      c[q] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * q], b[2 * q + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_ps(b[2 * q], b[2 * q + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // Sum the four 128-bit blocks of each c[q]: block q of the result is c[q]'s total.
    R e01 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(3, 2, 3, 2)));
    R e23 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm512_shuffle_f32x4(c[2], c[3], _MM_SHUFFLE(3, 2, 3, 2)));
    R sum = _mm512_add_ps(_mm512_shuffle_f32x4(e01, e23, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_f32x4(e01, e23, _MM_SHUFFLE(3, 1, 3, 1)));
    _mm_storeu_ps(y, _mm512_castps512_ps128(sum));
    _mm_storeu_ps(y + ldy, _mm512_extractf32x4_ps(sum, 1));
    _mm_storeu_ps(y + 2 * ldy, _mm512_extractf32x4_ps(sum, 2));
    _mm_storeu_ps(y + 3 * ldy, _mm512_extractf32x4_ps(sum, 3));
  }
  static float hmax(R a) { return _mm512_reduce_max_ps(a); }
};
