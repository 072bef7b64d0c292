#include "op_cases.h"

#include "ops/ops.h"

namespace anymal::testkit {

using namespace ops;

namespace {
Tensor positions(int64_t n, int32_t start = 0) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[size_t(i)] = start + int32_t(i);
  return Tensor::from_ints(p, Shape{n});
}
Tensor causal_like_mask(int64_t nq, int64_t nk) {
  std::vector<float> m(static_cast<size_t>(nq * nk));
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < nk; ++j)
      m[size_t(i * nk + j)] = (i + j) % 3 == 0 ? -1e9f : 0.25f * float(j % 2);
  return Tensor::from_floats(m, Shape{nq, nk});
}
}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = {
      {"add", {{3, 4}, {3, 4}}, [](auto& x) { return add(x[0], x[1]); }},
      {"add_bcast_row", {{2, 3, 20}, {20}}, [](auto& x) { return add(x[0], x[1]); }},
      {"add_bcast_mid", {{2, 3, 4}, {3, 1}}, [](auto& x) { return add(x[0], x[1]); }},
      {"add_bcast_left", {{3, 1}, {2, 3, 4}}, [](auto& x) { return add(x[0], x[1]); }},
      {"sub_bcast", {{2, 3}, {1, 3}}, [](auto& x) { return sub(x[0], x[1]); }},
      {"mul_scalar", {{3, 19}, {1}}, [](auto& x) { return mul(x[0], x[1]); }},
      {"mul", {{5, 7}, {5, 7}}, [](auto& x) { return mul(x[0], x[1]); }},
      {"div",
       {{3, 4}, {3, 4}},
       [](auto& x) { return div(x[0], add(mul(x[1], x[1]), Tensor::full(Shape{1}, 1.0f))); }},
      {"scale", {{4, 5}}, [](auto& x) { return scale(x[0], -1.5f); }},
      {"gelu", {{4, 37}}, [](auto& x) { return gelu(x[0]); }},
      {"gelu_erf", {{4, 37}}, [](auto& x) { return gelu_erf(x[0]); }},
      {"quick_gelu", {{4, 37}}, [](auto& x) { return quick_gelu(x[0]); }},
      {"silu", {{4, 37}}, [](auto& x) { return silu(x[0]); }},
      {"tanh", {{4, 37}}, [](auto& x) { return tanh(x[0]); }},
      {"swiglu", {{3, 37}, {3, 37}}, [](auto& x) { return swiglu(x[0], x[1]); }},
      {"matmul", {{2, 5, 7}, {2, 7, 3}}, [](auto& x) { return matmul(x[0], x[1]); }},
      {"matmul_nt", {{4, 6}, {5, 6}}, [](auto& x) { return matmul(x[0], x[1], false, true); }},
      {"matmul_tn", {{6, 4}, {6, 5}}, [](auto& x) { return matmul(x[0], x[1], true, false); }},
      {"matmul_tt", {{2, 6, 4}, {2, 5, 6}}, [](auto& x) { return matmul(x[0], x[1], true, true); }},
      {"matmul_weight",
       {{2, 3, 8}, {5, 8}},
       [](auto& x) { return matmul(x[0], x[1], false, true); }},
      {"matmul_shared_left", {{4, 8}, {3, 8, 5}}, [](auto& x) { return matmul(x[0], x[1]); }},
      {"matmul_view",
       {{7, 4}, {3, 7}},
       [](auto& x) { return matmul(transpose(x[0], 0, 1), transpose(x[1], 0, 1)); }},
      {"linear_bias", {{2, 3, 8}, {5, 8}, {5}}, [](auto& x) { return linear(x[0], x[1], x[2]); }},
      {"rms_norm", {{3, 5, 33}, {33}}, [](auto& x) { return rms_norm(x[0], x[1], 1e-5f); }},
      {"layer_norm",
       {{4, 33}, {33}, {33}},
       [](auto& x) { return layer_norm(x[0], x[1], x[2], 1e-5f); }},
      {"layer_norm_rows",
       {{70, 20}, {20}, {20}},
       [](auto& x) { return layer_norm(x[0], x[1], x[2], 1e-5f); }},
      {"softmax", {{3, 17}}, [](auto& x) { return softmax(x[0]); }},
      {"softmax_causal", {{2, 5, 7}}, [](auto& x) { return softmax(x[0], true); }},
      {"rope_norm",
       {{2, 5, 3, 8}},
       [](auto& x) { return rope(x[0], positions(5, 3), 10000.0f, RopeMode::norm); }},
      {"rope_neox",
       {{1, 4, 2, 8}},
       [](auto& x) { return rope(x[0], positions(4), 500.0f, RopeMode::neox); }},
      {"rope_norm_d64",  // whole vectors (AVX-512: 4 a head) and a partial rotation
       {{2, 3, 2, 72}},
       [](auto& x) { return rope(x[0], positions(3, 7), 10000.0f, RopeMode::norm, 68); }},
      {"rope_neox_d64",
       {{1, 3, 2, 64}},
       [](auto& x) { return rope(x[0], positions(3, 100), 10000.0f, RopeMode::neox); }},
      {"rope_partial",
       {{1, 3, 2, 8}},
       [](auto& x) { return rope(x[0], positions(3), 10000.0f, RopeMode::neox, 4); }},
      {"attention",
       {{2, 5, 4, 8}, {2, 6, 2, 8}, {2, 6, 2, 8}},
       [](auto& x) { return attention(x[0], x[1], x[2], false); }},
      {"attention_causal",
       {{1, 7, 2, 16}, {1, 7, 2, 16}, {1, 7, 2, 16}},
       [](auto& x) { return attention(x[0], x[1], x[2], true); }},
      {"attention_kv_cache",
       {{1, 3, 2, 8}, {1, 9, 1, 8}, {1, 9, 1, 8}},
       [](auto& x) { return attention(x[0], x[1], x[2], true); }},
      {"attention_mask",
       {{1, 4, 2, 8}, {1, 5, 2, 8}, {1, 5, 2, 8}},
       [](auto& x) { return attention(x[0], x[1], x[2], false, causal_like_mask(4, 5), 0.3f); }},
      {"attention_decode",  // one query row: the decode path reads K/V in place (GQA, batch)
       {{2, 1, 4, 16}, {2, 70, 2, 16}, {2, 70, 2, 16}},
       [](auto& x) { return attention(x[0], x[1], x[2], true); }},
      {"attention_decode_mask",
       {{1, 1, 2, 8}, {1, 5, 2, 8}, {1, 5, 2, 8}},
       [](auto& x) { return attention(x[0], x[1], x[2], false, causal_like_mask(1, 5), 0.3f); }},
      {"attention_decode_d64",  // 4 head vectors of o per row, blocks of 16 keys and a tail
       {{1, 1, 4, 64}, {1, 37, 2, 64}, {1, 37, 2, 64}},
       [](auto& x) { return attention(x[0], x[1], x[2], true); }},
      {"attention_decode_d24_mask",  // a head width no vector divides: the plain loops
       {{1, 1, 2, 24}, {1, 21, 2, 24}, {1, 21, 2, 24}},
       [](auto& x) { return attention(x[0], x[1], x[2], false, causal_like_mask(1, 21), 0.3f); }},
      {"attention_rows_d24",  // 31 query rows: tiles of 16, 8, 4, 1; GQA; a head-width tail
       {{1, 31, 2, 24}, {1, 31, 1, 24}, {1, 31, 1, 24}},
       [](auto& x) { return attention(x[0], x[1], x[2], true); }},
      {"attention_long",
       {{1, 150, 1, 16}, {1, 150, 1, 16}, {1, 150, 1, 16}},
       [](auto& x) { return attention(x[0], x[1], x[2], true); }},
      {"embedding",
       {{10, 6}},
       [](auto& x) {
         return embedding(x[0], Tensor::from_ints({1, 3, 3, 9, 0, 1}, Shape{2, 3}));
       }},
      {"patchify", {{2, 3, 8, 8}}, [](auto& x) { return patchify(x[0], 4); }},
      {"conv1d",  // Whisper's first stem conv: kernel 3, padding 1
       {{2, 9, 3}, {4, 3, 3}, {4}},
       [](auto& x) { return conv1d(x[0], x[1], x[2], 1, 1); }},
      {"conv1d_stride2",  // and its second: stride 2 (odd length: the last window is short)
       {{1, 7, 2}, {3, 2, 3}, {3}},
       [](auto& x) { return conv1d(x[0], x[1], x[2], 2, 1); }},
      {"conv2d_patch",
       {{2, 3, 8, 8}, {5, 3, 4, 4}, {5}},
       [](auto& x) { return conv2d_patch(x[0], x[1], x[2]); }},
      {"concat",
       {{2, 3}, {2, 1}, {2, 4}},
       [](auto& x) {
         return concat({x[0], x[1], x[2]}, 1);
       }},
      {"split",
       {{3, 7}},
       [](auto& x) {
         auto parts = split(x[0], {2, 5}, 1);
         return concat({parts[1], scale(parts[0], 2.0f)}, 1);
       }},
      {"slice_transpose",
       {{4, 6}},
       [](auto& x) { return contiguous(slice(transpose(x[0], 0, 1), 0, 1, 4)); }},
      {"expand",
       {{3, 1}},
       [](auto& x) {
         return mul(expand(x[0], Shape{2, 3, 4}), expand(x[0], Shape{2, 3, 4}));
       }},
      {"sum", {{3, 4, 5}}, [](auto& x) { return sum(x[0], 1); }},
      {"mean_keepdim", {{3, 4, 5}}, [](auto& x) { return mean(x[0], -1, true); }},
      {"sum_all", {{3, 4}}, [](auto& x) { return sum_all(x[0]); }},
      {"cross_entropy",
       {{6, 11}},
       [](auto& x) {
         return cross_entropy(x[0], Tensor::from_ints({3, -100, 0, 10, 5, 5}, Shape{6}));
       }},
  };
  return cases;
}

}  // namespace anymal::testkit
