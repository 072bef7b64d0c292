// Micro-benchmarks of the kernels that dominate training and inference, each next to its peer
// in the same run: our matmul op vs calling oneDNN directly (the machine's GEMM figure), and our
// fused flash-style attention vs the unfused math path (QKᵀ GEMM, softmax, PV GEMM) that
// frameworks fall back to. Counters are GFLOP/s; bench/run.sh prints the ratio table.
#include <benchmark/benchmark.h>
#include <dnnl.h>

#include <omp.h>

#include <dnnl.hpp>

#include "autograd/backward.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_f16.h"
#include "backend/cpu/packed_q8.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/quant_matmul.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "ops/ops.h"

using namespace anymal;

namespace {

ThreadPool& pool() {
  static ThreadPool p(physical_core_count());  // one pool for the whole benchmark binary
  return p;
}

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iter * double(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}

void BM_matmul(benchmark::State& state, DType dtype) {
  ThreadPoolScope scope(&pool());
  autograd::NoGrad ng;
  int64_t n = state.range(0);
  Rng rng(1);
  Tensor a = ops::cast(randn(Shape{n, n}, rng), dtype),
         b = ops::cast(randn(Shape{n, n}, rng), dtype);
  for (auto _ : state) benchmark::DoNotOptimize(ops::matmul(a, b));
  set_flops(state, 2.0 * double(n) * double(n) * double(n));
}

// The peer: oneDNN called directly, with no anymal code in between.
void BM_onednn(benchmark::State& state, DType dtype) {
  int64_t n = state.range(0);
  omp_set_num_threads(physical_core_count());
  std::vector<float> a(size_t(n * n), 0.5f), b(size_t(n * n), 0.25f), c(size_t(n * n));
  if (dtype == DType::f32) {
    for (auto _ : state)
      dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  } else {
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(eng);
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    dnnl::memory::desc a_md({n, n}, dt::bf16, tag::ab), b_md({n, n}, dt::bf16, tag::ab),
        c_md({n, n}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
    dnnl::matmul prim(pd);
    dnnl::memory am(a_md, eng), bm(b_md, eng), cm(c_md, eng);
    for (auto _ : state) {
      prim.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
      stream.wait();
    }
  }
  set_flops(state, 2.0 * double(n) * double(n) * double(n));
}

constexpr int64_t kHeads = 8, kHeadDim = 64;

// FLOPs of causal attention forward: QKᵀ and PV over the visible half (2·2·T²/2·D per head).
double attention_flops(int64_t t) {
  return 2.0 * double(t) * double(t) * double(kHeadDim) * kHeads;
}

void BM_attention_fused(benchmark::State& state) {
  ThreadPoolScope scope(&pool());
  autograd::NoGrad ng;
  int64_t t = state.range(0);
  Rng rng(2);
  Tensor q = randn(Shape{1, t, kHeads, kHeadDim}, rng),
         k = randn(Shape{1, t, kHeads, kHeadDim}, rng),
         v = randn(Shape{1, t, kHeads, kHeadDim}, rng);
  for (auto _ : state) benchmark::DoNotOptimize(ops::attention(q, k, v, true));
  set_flops(state, attention_flops(t));
}

// The peer: the unfused math path — scores [H, T, T] materialized by a batched oneDNN GEMM,
// causal softmax, then a second GEMM.
void BM_attention_unfused(benchmark::State& state) {
  ThreadPoolScope scope(&pool());
  autograd::NoGrad ng;
  int64_t t = state.range(0);
  Rng rng(2);
  Tensor q = randn(Shape{kHeads, t, kHeadDim}, rng), k = randn(Shape{kHeads, t, kHeadDim}, rng),
         v = randn(Shape{kHeads, t, kHeadDim}, rng);
  for (auto _ : state) {
    Tensor s = ops::scale(ops::matmul(q, k, false, true), 0.125f);
    benchmark::DoNotOptimize(ops::matmul(ops::softmax(s, true), v));
  }
  set_flops(state, attention_flops(t));
}

void BM_attention_fused_backward(benchmark::State& state) {
  ThreadPoolScope scope(&pool());
  int64_t t = state.range(0);
  Rng rng(3);
  Tensor q = randn(Shape{1, t, kHeads, kHeadDim}, rng).set_requires_grad(),
         k = randn(Shape{1, t, kHeads, kHeadDim}, rng).set_requires_grad(),
         v = randn(Shape{1, t, kHeads, kHeadDim}, rng).set_requires_grad();
  Tensor g = randn(Shape{1, t, kHeads, kHeadDim}, rng);
  for (auto _ : state) {
    Tensor out = ops::attention(q, k, v, true);
    autograd::backward(out, g);
  }
  set_flops(state, 3.5 * attention_flops(t));  // forward + backward (2.5x forward)
}

// Decode-shaped matvec (one activation row) over a TinyLlama FFN matrix in a ggml type:
// GB/s of weights streamed (the memory roofline is what bounds decode).
void BM_quant_matvec(benchmark::State& state, GgmlType type) {
  ThreadPoolScope scope(&pool());
  const int64_t rows = 5632, k = 2048;
  Rng rng(4);
  std::vector<float> w(static_cast<size_t>(rows * k)), x(static_cast<size_t>(k)),
      y(static_cast<size_t>(rows));
  for (float& v : w) v = rng.normal(0.0f, 0.02f);
  for (float& v : x) v = rng.normal();
  std::vector<uint8_t> q(ggml_row_bytes(type, rows * k));
  cpu::quantize_row(type, w.data(), q.data(), rows * k);
  for (auto _ : state) cpu::quant_matmul(type, q.data(), rows, k, x.data(), 1, y.data());
  state.counters["GB/s"] = benchmark::Counter(double(q.size()) * double(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}

// The packed integer kernels (cpu::PackedQ8) over a ring of TinyLlama FFN matrices larger than
// any cache, as decode streams them: x rows = range(0) (1: decode; 8: batched decode; 512:
// prefill). GB/s of weights streamed, and GOP/s.
void BM_packed_q8(benchmark::State& state, GgmlType type) {
  ThreadPoolScope scope(&pool());
  const int64_t rows = 5632, k = 2048, t = state.range(0), ring = t == 1 ? 12 : 2;
  Rng rng(4);
  std::vector<float> w(static_cast<size_t>(rows * k)), x(static_cast<size_t>(t * k)),
      y(static_cast<size_t>(t * rows));
  for (float& v : w) v = rng.normal(0.0f, 0.02f);
  for (float& v : x) v = rng.normal();
  std::vector<uint8_t> q(ggml_row_bytes(type, rows * k));
  cpu::quantize_row(type, w.data(), q.data(), rows * k);
  std::vector<std::unique_ptr<cpu::PackedQ8>> mats;
  for (int i = 0; i < ring; ++i)
    mats.push_back(std::make_unique<cpu::PackedQ8>(type, q.data(), rows, k));
  cpu::ActQ8 act;
  size_t i = 0;
  for (auto _ : state) cpu::packed_q8_matmul(*mats[i++ % mats.size()], x.data(), t, y.data(), act);
  state.counters["GB/s"] = benchmark::Counter(double(q.size()) * double(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
  set_flops(state, 2.0 * double(rows * k * t));
}

// f16 weights the size of the demo model's FFN matrices (768 × 256, cache-resident), x rows =
// range(0) (a batched decode step of that many sequences): the 16-row interleaved layout
// (cpu::PackedF16) against the row kernels on the same weights.
void BM_f16_small(benchmark::State& state, bool packed) {
  ThreadPoolScope scope(&pool());
  const int64_t rows = 768, k = 256, t = state.range(0);
  Rng rng(4);
  std::vector<float> w(static_cast<size_t>(rows * k)), x(static_cast<size_t>(t * k)),
      y(static_cast<size_t>(t * rows));
  for (float& v : w) v = rng.normal(0.0f, 0.02f);
  for (float& v : x) v = rng.normal();
  std::vector<uint16_t> h(w.size());
  cpu::cpu_kernels().from_f32(DType::f16, w.data(), h.data(), int64_t(w.size()));
  const cpu::PackedF16 p(h.data(), rows, k);
  for (auto _ : state) {
    if (packed)
      cpu::packed_f16_matmul(p, x.data(), t, y.data());
    else
      cpu::quant_matmul(GgmlType::f16, h.data(), rows, k, x.data(), t, y.data());
  }
  set_flops(state, 2.0 * double(rows * k * t));
}

// The fixed cost of one parallel region (decode of a small model runs dozens per token), with
// range(0) items.
void BM_parallel_region(benchmark::State& state) {
  ThreadPoolScope scope(&pool());
  const int64_t n = state.range(0);  // items: ~4 chunks per thread from 8 on
  std::vector<int64_t> sink(static_cast<size_t>(n));
  for (auto _ : state)
    parallel_for(n, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) sink[size_t(i)] += i;
    });
  benchmark::DoNotOptimize(sink.data());
}

}  // namespace

BENCHMARK(BM_parallel_region)->Arg(2)->Arg(64)->UseRealTime();
BENCHMARK_CAPTURE(BM_f16_small, packed, true)->Arg(1)->Arg(8)->Arg(16)->UseRealTime();
BENCHMARK_CAPTURE(BM_f16_small, rows, false)->Arg(1)->Arg(8)->Arg(16)->UseRealTime();
BENCHMARK_CAPTURE(BM_packed_q8, q8_0, GgmlType::q8_0)
    ->Arg(1)
    ->Arg(8)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_packed_q8, q4_0, GgmlType::q4_0)
    ->Arg(1)
    ->Arg(8)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_quant_matvec, f16, GgmlType::f16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_quant_matvec, bf16, GgmlType::bf16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_quant_matvec, q8_0, GgmlType::q8_0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_quant_matvec, q4_0, GgmlType::q4_0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_quant_matvec, q4_K, GgmlType::q4_k)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_matmul, f32, DType::f32)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_onednn, f32, DType::f32)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_matmul, bf16, DType::bf16)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_onednn, bf16, DType::bf16)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_attention_fused)
    ->Arg(128)
    ->Arg(512)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_attention_unfused)
    ->Arg(128)
    ->Arg(512)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_attention_fused_backward)
    ->Arg(128)
    ->Arg(512)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
