// ggml's tensor types as stored in GGUF files: ids, names and block layouts (bit-compatible
// with ggml.h). A row of n elements of a block type takes n / block_size * type_size bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace anymal {

enum class GgmlType : uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q5_1 = 7,
  q8_0 = 8,
  q8_1 = 9,
  q2_k = 10,
  q3_k = 11,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  q8_k = 15,
  i8 = 24,
  i16 = 25,
  i32 = 26,
  i64 = 27,
  f64 = 28,
  bf16 = 30,
};

struct GgmlTypeInfo {
  const char* name;    // as ggml prints it: "q4_K", "bf16"
  int64_t block_size;  // elements per block (1 for plain types)
  size_t type_size;    // bytes per block
};

// Null for ids this build does not know (the caller names the tensor in its error).
const GgmlTypeInfo* ggml_type_info(uint32_t id);
const char* ggml_type_name(GgmlType t);
// Bytes of `n` elements (n a multiple of the block size).
size_t ggml_row_bytes(GgmlType t, int64_t n);
// Parses "q4_0", "Q4_K", "bf16", ...; throws invalid_input listing the known names.
GgmlType ggml_type_from_name(const std::string& name);

}  // namespace anymal
