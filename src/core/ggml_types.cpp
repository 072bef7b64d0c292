#include "core/ggml_types.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace anymal {

namespace {

struct Entry {
  GgmlType type;
  GgmlTypeInfo info;
};

// Block layouts from ggml-common.h: QK4_0 = QK8_0 = 32, QK_K = 256.
constexpr Entry kTypes[] = {
    {GgmlType::f32, {"f32", 1, 4}},       {GgmlType::f16, {"f16", 1, 2}},
    {GgmlType::q4_0, {"q4_0", 32, 18}},   {GgmlType::q4_1, {"q4_1", 32, 20}},
    {GgmlType::q5_0, {"q5_0", 32, 22}},   {GgmlType::q5_1, {"q5_1", 32, 24}},
    {GgmlType::q8_0, {"q8_0", 32, 34}},   {GgmlType::q8_1, {"q8_1", 32, 36}},
    {GgmlType::q2_k, {"q2_K", 256, 84}},  {GgmlType::q3_k, {"q3_K", 256, 110}},
    {GgmlType::q4_k, {"q4_K", 256, 144}}, {GgmlType::q5_k, {"q5_K", 256, 176}},
    {GgmlType::q6_k, {"q6_K", 256, 210}}, {GgmlType::q8_k, {"q8_K", 256, 292}},
    {GgmlType::i8, {"i8", 1, 1}},         {GgmlType::i16, {"i16", 1, 2}},
    {GgmlType::i32, {"i32", 1, 4}},       {GgmlType::i64, {"i64", 1, 8}},
    {GgmlType::f64, {"f64", 1, 8}},       {GgmlType::bf16, {"bf16", 1, 2}},
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  for (const Entry& e : kTypes)
    if (uint32_t(e.type) == id) return &e.info;
  return nullptr;
}

const char* ggml_type_name(GgmlType t) {
  const GgmlTypeInfo* info = ggml_type_info(uint32_t(t));
  return info ? info->name : "unknown";
}

size_t ggml_row_bytes(GgmlType t, int64_t n) {
  const GgmlTypeInfo* info = ggml_type_info(uint32_t(t));
  ANYMAL_ASSERT(info && n % info->block_size == 0);
  return size_t(n / info->block_size) * info->type_size;
}

GgmlType ggml_type_from_name(const std::string& name) {
  std::string want = lower(name), known;
  for (const Entry& e : kTypes) {
    if (lower(e.info.name) == want) return e.type;
    known += std::string(known.empty() ? "" : ", ") + e.info.name;
  }
  throw_error(ErrorKind::invalid_input,
              "unknown tensor type '" + name + "' (known: " + known + ")");
}

}  // namespace anymal
