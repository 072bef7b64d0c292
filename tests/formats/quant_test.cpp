// ggml block formats. Oracle: the quantized fixture models were made from the f16 one by
// llama-quantize, so (a) our dequantization of their tensors must land near the f16 weights,
// and (b) our quantizer must reproduce llama-quantize's bytes where the type matches.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "backend/cpu/kernels.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/quant_matmul.h"
#include "backend/cpu/reference.h"
#include "core/dtype.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "formats/quantize.h"

using namespace anymal;

namespace {

std::string fixture(const std::string& name) {
  return std::string(ANYMAL_SHARED_FIXTURES) + "/llm/" + name;
}

float rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return float(std::sqrt(s / double(v.size())));
}

float relative_rms_error(const std::vector<float>& got, const std::vector<float>& ref) {
  std::vector<float> d(ref.size());
  for (size_t i = 0; i < ref.size(); ++i) d[i] = got[i] - ref[i];
  return rms(d) / rms(ref);
}

// Worst tolerated relative RMS error of each type against the f16 weights.
float tolerance(GgmlType t) {
  switch (t) {
    case GgmlType::f32:
    case GgmlType::f16:
      return 1e-6f;
    case GgmlType::q8_0:
      return 0.01f;
    case GgmlType::q6_k:
      return 0.03f;
    case GgmlType::q4_k:
      return 0.08f;
    case GgmlType::q4_0:
      return 0.12f;
    default:
      return 0.2f;
  }
}

}  // namespace

TEST(Quant, DequantizedFixtureTensorsMatchTheF16Weights) {
  if (!std::filesystem::exists(fixture("tiny-llama-gqa-f16.gguf"))) GTEST_SKIP() << "no fixtures";
  auto f16 = GgufFile::open(fixture("tiny-llama-gqa-f16.gguf"));
  std::map<GgmlType, int> seen;
  for (const char* q : {"q8_0", "q4_0", "q4_k_m", "q6_k"}) {
    auto g = GgufFile::open(fixture(std::string("tiny-llama-gqa-") + q + ".gguf"));
    for (const GgufTensorInfo& t : g->tensors()) {
      std::vector<float> got = g->dequantize(t.name).to_floats();
      std::vector<float> ref = f16->dequantize(t.name).to_floats();
      float err = relative_rms_error(got, ref);
      EXPECT_LE(err, tolerance(t.type))
          << q << " " << t.name << " (" << ggml_type_name(t.type) << ")";
      seen[t.type]++;
    }
  }
  for (GgmlType t : {GgmlType::q8_0, GgmlType::q4_0, GgmlType::q4_k, GgmlType::q6_k})
    EXPECT_GT(seen[t], 0) << ggml_type_name(t) << " never exercised";
}

// `anymal quantize` of the f16 model writes the same tensor bytes as llama-quantize did for
// q8_0, q4_0, q6_K and the Q4_K_M mix (type choices per tensor included).
TEST(Quant, QuantizeReproducesLlamaQuantizeFilesByteForByte) {
  std::string f16 = fixture("tiny-llama-gqa-f16.gguf");
  if (!std::filesystem::exists(f16)) GTEST_SKIP() << "no fixtures";
  for (auto [type, ref_name] :
       std::vector<std::pair<GgmlType, const char*>>{{GgmlType::q8_0, "q8_0"},
                                                     {GgmlType::q4_0, "q4_0"},
                                                     {GgmlType::q6_k, "q6_k"},
                                                     {GgmlType::q4_k, "q4_k_m"}}) {
    std::string out = (std::filesystem::temp_directory_path() /
                       (std::string("anymal-quant-") + ref_name + ".gguf"))
                          .string();
    quantize_gguf(f16, out, type);
    auto ours = GgufFile::open(out);
    auto ref = GgufFile::open(fixture(std::string("tiny-llama-gqa-") + ref_name + ".gguf"));
    ASSERT_EQ(ours->tensors().size(), ref->tensors().size());
    for (const GgufTensorInfo& t : ref->tensors()) {
      const GgufTensorInfo& u = ours->tensor_info(t.name);
      ASSERT_EQ(u.type, t.type) << ref_name << " " << t.name;
      ASSERT_EQ(u.nbytes, t.nbytes);
      EXPECT_EQ(std::memcmp(ours->tensor_data(u), ref->tensor_data(t), t.nbytes), 0)
          << ref_name << " " << t.name;
    }
    EXPECT_EQ(ours->get_int("general.file_type"), ref->get_int("general.file_type")) << ref_name;
    std::filesystem::remove(out);
  }
}

TEST(Quant, RoundTripErrorStaysWithinHalfAStep) {
  Rng rng(3);
  std::vector<float> x(32 * 64);
  for (float& v : x) v = rng.normal(0.3f, 2.0f);
  for (GgmlType t : {GgmlType::q8_0, GgmlType::q4_0, GgmlType::q4_1, GgmlType::q5_0, GgmlType::q5_1,
                     GgmlType::f16, GgmlType::bf16}) {
    std::vector<uint8_t> q(ggml_row_bytes(t, int64_t(x.size())));
    std::vector<float> y(x.size());
    cpu::quantize_row(t, x.data(), q.data(), int64_t(x.size()));
    cpu::dequantize_row(t, q.data(), y.data(), int64_t(y.size()));
    if (t == GgmlType::f16 || t == GgmlType::bf16) {  // relative rounding of a float format
      float rel = t == GgmlType::f16 ? 1.0f / 2048 : 1.0f / 256;
      for (size_t j = 0; j < x.size(); ++j) ASSERT_LE(std::abs(y[j] - x[j]), std::abs(x[j]) * rel);
      continue;
    }
    int levels = t == GgmlType::q8_0 ? 254 : t == GgmlType::q4_0 || t == GgmlType::q4_1 ? 15 : 31;
    for (size_t b = 0; b < x.size() / 32; ++b) {
      float lo = *std::min_element(x.begin() + long(b * 32), x.begin() + long(b * 32 + 32));
      float hi = *std::max_element(x.begin() + long(b * 32), x.begin() + long(b * 32 + 32));
      float amax = std::max(std::abs(lo), std::abs(hi));
      // symmetric types span 2·amax, asymmetric ones hi - lo; one step of f16 scale rounding
      float range = (t == GgmlType::q4_1 || t == GgmlType::q5_1) ? hi - lo : 2 * amax;
      float step = range / float(levels);
      // ggml's q4_0/q5_0 map the largest magnitude to -8/-16, so the far end of the other sign
      // clamps: a full step there, half a step everywhere else.
      float bound = (t == GgmlType::q4_0 || t == GgmlType::q5_0) ? step : 0.5f * step;
      for (size_t j = b * 32; j < b * 32 + 32; ++j)
        ASSERT_LE(std::abs(y[j] - x[j]), bound * 1.02f + 1e-3f * amax)
            << ggml_type_name(t) << " element " << j;
    }
  }
  // K-quants: relative RMS error of a round trip (q5_K has no llama.cpp file to compare with).
  for (auto [t, bound] : std::vector<std::pair<GgmlType, double>>{
           {GgmlType::q4_k, 0.08}, {GgmlType::q5_k, 0.04}, {GgmlType::q6_k, 0.02}}) {
    std::vector<float> big(256 * 16), back(big.size());
    for (float& v : big) v = rng.normal(0.1f, 1.0f);
    std::vector<uint8_t> q(ggml_row_bytes(t, int64_t(big.size())));
    cpu::quantize_row(t, big.data(), q.data(), int64_t(big.size()));
    cpu::dequantize_row(t, q.data(), back.data(), int64_t(back.size()));
    EXPECT_LE(relative_rms_error(back, big), bound) << ggml_type_name(t);
    EXPECT_GT(relative_rms_error(back, big), bound / 8)
        << ggml_type_name(t) << " suspiciously exact";
  }
  std::vector<uint8_t> q(ggml_row_bytes(GgmlType::q2_k, 256));
  EXPECT_THROW(cpu::quantize_row(GgmlType::q2_k, x.data(), q.data(), 256), Error);
}

// Op consistency for the quantized matmul: every variant × type × batch size against the
// reference kernels (dequantize + double-accumulated dot).
TEST(Quant, QuantMatmulMatchesReferenceOnEveryVariant) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(8);
  struct Weights {
    GgmlType type;
    int64_t rows, k;
    std::vector<uint8_t> bytes;
  };
  std::vector<Weights> all;
  const int64_t rows = 42, k = 256;  // 42: a partial tile of weight rows
  std::vector<float> w(static_cast<size_t>(rows * k));
  for (float& v : w) v = rng.normal(0.0f, 0.5f);
  for (GgmlType t : {GgmlType::f32, GgmlType::f16, GgmlType::bf16, GgmlType::q8_0, GgmlType::q4_0,
                     GgmlType::q4_1, GgmlType::q5_0, GgmlType::q5_1, GgmlType::q4_k, GgmlType::q5_k,
                     GgmlType::q6_k}) {
    std::vector<uint8_t> q(ggml_row_bytes(t, rows * k));
    cpu::quantize_row(t, w.data(), q.data(), rows * k);
    all.push_back({t, rows, k, q});
  }
  if (std::filesystem::exists(fixture("tiny-llama-gqa-q4_k_m.gguf"))) {
    auto g = GgufFile::open(fixture("tiny-llama-gqa-q4_k_m.gguf"));
    for (const char* name : {"blk.0.ffn_up.weight", "blk.1.ffn_down.weight"}) {
      const GgufTensorInfo& t = g->tensor_info(name);
      const uint8_t* d = g->tensor_data(t);
      all.push_back({t.type, t.ne[1], t.ne[0], std::vector<uint8_t>(d, d + t.nbytes)});
    }
  }
  for (const Weights& wt : all)
    for (int64_t t : {1, 3, 6, 20}) {  // 6: a full and a partial tile of activation rows
      std::vector<float> x(static_cast<size_t>(t * wt.k)), ref(static_cast<size_t>(t * wt.rows));
      for (float& v : x) v = rng.normal();
      {
        cpu::KernelVariantScope kv(cpu::KernelVariant::reference);
        cpu::quant_matmul(wt.type, wt.bytes.data(), wt.rows, wt.k, x.data(), t, ref.data());
      }
      float scale = 0;
      for (float v : ref) scale = std::max(scale, std::abs(v));
      for (auto v : cpu::supported_variants()) {
        cpu::KernelVariantScope kv(v);
        std::vector<float> got(ref.size());
        cpu::quant_matmul(wt.type, wt.bytes.data(), wt.rows, wt.k, x.data(), t, got.data());
        float err = 0;
        for (size_t i = 0; i < ref.size(); ++i) err = std::max(err, std::abs(got[i] - ref[i]));
        EXPECT_LE(err, 2e-5f * scale)
            << ggml_type_name(wt.type) << " t=" << t << " " << cpu::variant_name(v);
      }
    }
}

// The decode path of q8_0/q4_0 quantizes x to q8_0 blocks (as ggml does): against the exact
// dot of the dequantized weights it may differ by x's rounding only, well under 1%, on every
// variant and with an odd number of blocks (the kernels' tail).
TEST(Quant, IntegerDotIsWithinActivationRoundingOfTheFloatDot) {
  Rng rng(9);
  for (int64_t k : {256, 96}) {
    const int64_t rows = 24;
    std::vector<float> w(static_cast<size_t>(rows * k)), x(static_cast<size_t>(2 * k));
    for (float& v : w) v = rng.normal(0.0f, 0.5f);
    for (float& v : x) v = rng.normal();
    for (GgmlType type : {GgmlType::q8_0, GgmlType::q4_0}) {
      ASSERT_TRUE(cpu::has_q8_dot(type));
      std::vector<uint8_t> q(ggml_row_bytes(type, rows * k));
      cpu::quantize_row(type, w.data(), q.data(), rows * k);
      std::vector<float> wd(w.size());
      cpu::dequantize_row(type, q.data(), wd.data(), rows * k);
      for (auto v : cpu::supported_variants()) {
        cpu::KernelVariantScope kv(v);
        std::vector<float> y(static_cast<size_t>(2 * rows));
        cpu::quant_matmul(type, q.data(), rows, k, x.data(), 2, y.data());
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0, norm = 0;
            for (int64_t j = 0; j < k; ++j) {
              exact += double(wd[size_t(r * k + j)]) * x[size_t(i * k + j)];
              norm += std::abs(double(wd[size_t(r * k + j)]) * x[size_t(i * k + j)]);
            }
            EXPECT_NEAR(y[size_t(i * rows + r)], exact, 0.01 * norm)
                << ggml_type_name(type) << " k=" << k << " " << cpu::variant_name(v);
            EXPECT_NE(y[size_t(i * rows + r)], 0.0f);
          }
      }
    }
  }
}

// bf16 weights decode against x rounded to bf16 (as ggml): every variant, a row count that
// leaves a partial tile of rows and a width that leaves a tail past the last 32 values.
TEST(Quant, Bf16DotRowsMatchTheReferenceOnRaggedShapes) {
  Rng rng(12);
  const int64_t rows = 7, k = 45;
  std::vector<uint16_t> w(size_t(rows * k)), x(size_t(5 * k));
  for (uint16_t& v : w) v = f32_to_bf16(rng.normal());
  for (uint16_t& v : x) v = f32_to_bf16(rng.normal());
  for (int64_t t : {1, 2, 5}) {
    std::vector<float> ref(size_t(t * rows));
    cpu::reference::bf16_dot_rows(w.data(), size_t(k), rows, k, x.data(), t, ref.data(), rows);
    for (auto v : cpu::supported_variants()) {
      std::vector<float> got(ref.size());
      cpu::kernels_for(v).bf16_dot_rows(w.data(), size_t(k), rows, k, x.data(), t, got.data(),
                                        rows);
      for (size_t i = 0; i < ref.size(); ++i)
        EXPECT_NEAR(got[i], ref[i], 1e-4f) << "t=" << t << " " << cpu::variant_name(v);
    }
  }
}
