#include "models/hf/hf_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "text/hf_tokenizer.h"

namespace anymal::models {

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

HfConfig HfConfig::read(const std::string& dir) {
  HfConfig c;
  c.path = (std::filesystem::path(dir) / "config.json").string();
  if (!std::filesystem::exists(c.path))
    throw_error(ErrorKind::invalid_input,
                dir + ": no config.json (not a Hugging Face model directory)");
  c.json = text::read_json_file(c.path);
  if (!c.json.is_object()) c.fail("not a JSON object");
  return c;
}

void HfConfig::fail(const std::string& what) const {
  throw_error(ErrorKind::invalid_input, path + ": " + what);
}

int64_t HfConfig::get_int(const std::string& key) const {
  if (!has(key)) fail("missing field " + key);
  const int64_t v = get_int(key, 0);
  if (v <= 0) fail(key + " must be positive");
  return v;
}

int64_t HfConfig::get_int(const std::string& key, int64_t fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = json[key];
  if (!v.is_number_integer()) fail(key + " is not an integer");
  const int64_t i = v.get<int64_t>();
  if (i < 0 || i > (int64_t(1) << 40)) fail(key + " = " + std::to_string(i) + " is out of range");
  return i;
}

double HfConfig::get_float(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  if (!json[key].is_number()) fail(key + " is not a number");
  return json[key].get<double>();
}

void permute_rope_rows(float* w, int64_t rows, int64_t cols, int64_t n_head, bool inverse) {
  const int64_t hd = rows / n_head, half = hd / 2;
  std::vector<float> head(size_t(hd * cols));
  for (int64_t h = 0; h < n_head; ++h) {
    float* base = w + h * hd * cols;
    std::memcpy(head.data(), base, head.size() * sizeof(float));
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const int64_t hf_row = j * half + i, gguf_row = 2 * i + j;
        const int64_t to = inverse ? hf_row : gguf_row, from = inverse ? gguf_row : hf_row;
        std::memcpy(base + to * cols, head.data() + from * cols, size_t(cols) * sizeof(float));
      }
  }
}

void add_hf_tensor(GgufWriter& out, const std::shared_ptr<const SafetensorsCheckpoint>& ck,
                   const std::string& hf_name, const std::string& gguf_name,
                   const std::vector<int64_t>& shape, HfFloat type, int64_t permute_heads) {
  const SafetensorsTensor& t = ck->get(hf_name);
  if (t.shape != shape)
    throw_error(ErrorKind::invalid_input, t.file + ": tensor " + hf_name + " has shape " +
                                              shape_str(t.shape) + ", config.json implies " +
                                              shape_str(shape));
  std::vector<int64_t> ne(shape.rbegin(), shape.rend());
  if (ne.empty()) ne.push_back(1);
  DType want = t.dtype;
  if (shape.size() <= 1 || type == HfFloat::f32)
    want = DType::f32;
  else if (type == HfFloat::f16)
    want = DType::f16;
  else if (type == HfFloat::bf16)
    want = DType::bf16;
  const GgmlType gtype = want == DType::f32   ? GgmlType::f32
                         : want == DType::f16 ? GgmlType::f16
                                              : GgmlType::bf16;
  if (want == t.dtype && permute_heads == 0) {
    out.add_tensor_ref(gguf_name, gtype, ne, t.data, t.nbytes, ck);
    return;
  }
  Tensor f = ck->to_f32(hf_name);
  if (permute_heads > 0) {
    if (shape.size() != 2 || shape[0] % (2 * permute_heads) != 0)
      throw_error(ErrorKind::invalid_input, t.file + ": tensor " + hf_name + " of shape " +
                                                shape_str(shape) + " cannot be split into " +
                                                std::to_string(permute_heads) + " RoPE heads");
    permute_rope_rows(f.mutable_data<float>(), shape[0], shape[1], permute_heads, false);
  }
  const int64_t n = f.numel();
  if (want == DType::f32) {
    out.add_tensor(gguf_name, gtype, ne, f.data<float>(), size_t(n) * 4);
    return;
  }
  std::vector<uint16_t> h(static_cast<size_t>(n));
  const float* src = f.data<float>();
  for (int64_t i = 0; i < n; ++i)
    h[size_t(i)] = want == DType::f16 ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
  out.add_tensor(gguf_name, gtype, ne, h.data(), h.size() * 2);
}

Tensor gguf_tensor_for_hf(const GgufFile& f, const std::string& name, int64_t permute_heads) {
  Tensor t = f.dequantize(name);
  if (permute_heads > 0) {
    const Shape& s = t.shape();
    if (s.ndim() != 2 || s[0] % (2 * permute_heads) != 0)
      throw_error(ErrorKind::invalid_input, f.path() + ": tensor " + name +
                                                " cannot be split into " +
                                                std::to_string(permute_heads) + " RoPE heads");
    permute_rope_rows(t.mutable_data<float>(), s[0], s[1], permute_heads, true);
  }
  return t;
}

std::string size_label(int64_t n_params) {
  const double n = double(n_params);
  const char* suffix = n > 1e12 ? "T" : n > 1e9 ? "B" : n > 1e6 ? "M" : "K";
  const double scaled = n > 1e12 ? n * 1e-12 : n > 1e9 ? n * 1e-9 : n > 1e6 ? n * 1e-6 : n * 1e-3;
  // At least two significant digits, as convert_hf_to_gguf.py's rounded notation.
  const int digits = int(std::to_string(int64_t(std::llround(scaled))).size());
  const int fix = std::max(2 - digits, 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f%s", fix, scaled, suffix);
  return buf;
}

}  // namespace anymal::models
