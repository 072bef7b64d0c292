#include "formats/quantize.h"

#include <cstdlib>
#include <memory>
#include <vector>

#include "backend/cpu/quant.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace anymal {

namespace {

// llama.cpp's llama_ftype for a file whose weights are mostly `t`.
uint32_t file_type_of(GgmlType t) {
  switch (t) {
    case GgmlType::f32:
      return 0;
    case GgmlType::f16:
      return 1;
    case GgmlType::q4_0:
      return 2;
    case GgmlType::q4_1:
      return 3;
    case GgmlType::q8_0:
      return 7;
    case GgmlType::q5_0:
      return 8;
    case GgmlType::q5_1:
      return 9;
    case GgmlType::q4_k:
      return 15;  // Q4_K_M
    case GgmlType::q6_k:
      return 18;
    case GgmlType::bf16:
      return 32;
    default:
      return 0;
  }
}

// llama.cpp's "more bits" layers of a Q4_K_M mix: the first and last eighth, and every third
// layer in between.
bool use_more_bits(int64_t layer, int64_t n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

int64_t layer_of(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  return std::atoll(name.c_str() + 4);
}

// The type a tensor gets, as llama-quantize chooses it: the output projection (output.weight,
// or token_embd.weight when the output is tied to it) keeps more precision (q6_K) unless the
// target is already that precise; a q4_K target is llama.cpp's Q4_K_M mix, with q6_K for
// attn_v and ffn_down in the "more bits" layers (q5_K likewise: Q5_K_M).
GgmlType type_for(const std::string& name, GgmlType target, bool tied, int64_t n_layer) {
  bool precise = target == GgmlType::q8_0 || target == GgmlType::q6_k || target == GgmlType::f16 ||
                 target == GgmlType::bf16 || target == GgmlType::f32;
  bool is_output = name == "output.weight" || (tied && name == "token_embd.weight");
  if (is_output && !precise) return GgmlType::q6_k;
  if ((target == GgmlType::q4_k || target == GgmlType::q5_k) && n_layer > 0) {
    bool sensitive = name.find(".attn_v.weight") != std::string::npos ||
                     name.find(".ffn_down.weight") != std::string::npos;
    if (sensitive && use_more_bits(layer_of(name), n_layer)) return GgmlType::q6_k;
  }
  return target;
}

}  // namespace

QuantizeReport quantize_gguf(const std::string& in_path, const std::string& out_path,
                             GgmlType type) {
  if (in_path == out_path)
    throw_error(ErrorKind::invalid_input, "quantize: input and output are the same file");
  GgufWriter w;
  QuantizeReport r = quantize_into(GgufFile::open(in_path), type, w);
  w.write(out_path);
  return r;
}

QuantizeReport quantize_into(const std::shared_ptr<GgufFile>& in, GgmlType type, GgufWriter& w) {
  if (!cpu::can_quantize(type))
    throw_error(ErrorKind::unsupported, std::string("quantizing to ") + ggml_type_name(type) +
                                            " is not supported (use q8_0, q4_0, q4_1, q5_0, q5_1, "
                                            "q4_K, q5_K, q6_K, f16, bf16 or f32)");
  for (auto& [k, v] : in->metadata()) w.set(k, v);
  w.set_u32("general.file_type", file_type_of(type));
  w.set_u32("general.quantization_version", 2);
  const bool tied = in->find_tensor("output.weight") == nullptr;
  std::string arch = in->get_string("general.architecture", "");
  const int64_t n_layer = in->get_int(arch + ".block_count", 0);
  QuantizeReport r;
  for (const GgufTensorInfo& t : in->tensors()) {
    r.bytes_in += t.nbytes;
    const GgmlType want = type_for(t.name, type, tied, n_layer);
    const GgmlTypeInfo& target = *ggml_type_info(uint32_t(want));
    bool convert = t.ne.size() >= 2 && t.ne[0] % target.block_size == 0 &&
                   cpu::can_dequantize(t.type) && t.type != want;
    if (!convert) {
      w.add_tensor_ref(t.name, t.type, t.ne, in->tensor_data(t), t.nbytes, in);
      r.bytes_out += t.nbytes;
      ++r.kept;
      continue;
    }
    const int64_t row = t.ne[0], rows = t.numel() / row;
    const size_t in_row = ggml_row_bytes(t.type, row), out_row = ggml_row_bytes(want, row);
    auto out_buf = std::make_shared<std::vector<uint8_t>>(out_row * size_t(rows));
    std::vector<uint8_t>& out = *out_buf;
    const uint8_t* src = in->tensor_data(t);
    parallel_for(rows, 16, [&](int64_t lo, int64_t hi) {
      std::vector<float> f(static_cast<size_t>(row));
      for (int64_t i = lo; i < hi; ++i) {
        cpu::dequantize_row(t.type, src + size_t(i) * in_row, f.data(), row);
        cpu::quantize_row(want, f.data(), out.data() + size_t(i) * out_row, row);
      }
    });
    w.add_tensor_ref(t.name, want, t.ne, out.data(), out.size(), out_buf);
    r.bytes_out += out.size();
    ++r.converted;
  }
  return r;
}

}  // namespace anymal
