// GEMM through oneDNN: f32 via dnnl_sgemm, bf16 x bf16 -> f32 via the matmul primitive
// (oneDNN caches primitives by shape, so repeated shapes cost no re-creation).
#include <omp.h>

#include <dnnl.hpp>
#include <string>
#include <vector>

#include "backend/cpu/isa_kernels.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

namespace {

// Runs one GEMM (all batches) on the calling thread: oneDNN's own OpenMP team stays at one
// thread, so no OpenMP workers spin beside our pool (measured: 40% of a training step's CPU
// went to libgomp's spin-wait when oneDNN threaded itself).
void run_single_threaded(const MatmulParams& p, const void* a, const void* b, float* c);

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);  // library handle, immutable
  return engine;
}

void sgemm_batches(const MatmulParams& p, const float* a, const float* b, float* c) {
  for (int64_t bt = 0; bt < p.batch; ++bt) {
    dnnl_status_t st = dnnl_sgemm(p.trans_a ? 'T' : 'N', p.trans_b ? 'T' : 'N', p.m, p.n, p.k, 1.0f,
                                  a + bt * p.stride_a, p.lda, b + bt * p.stride_b, p.ldb,
                                  p.accumulate ? 1.0f : 0.0f, c + bt * p.stride_c, p.ldc);
    if (st != dnnl_success)
      throw_error(ErrorKind::internal,
                  "oneDNN sgemm failed with status " + std::to_string(int(st)));
  }
}

// The span of elements an operand's strides reach: rows x cols per batch, `batches` batches.
int64_t operand_extent(int64_t batches, int64_t stride, bool trans, int64_t rows, int64_t cols,
                       int64_t ld) {
  int64_t one = trans ? (cols - 1) * ld + rows : (rows - 1) * ld + cols;
  return (batches - 1) * stride + one;
}

// CPUs without AVX-512 have no oneDNN bf16 GEMM: widen both operands (same strides) to f32.
void bf16_via_f32(const MatmulParams& p, const void* a, const void* b, float* c) {
  auto widen = [](const void* src, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    const uint16_t* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) out[size_t(i)] = bf16_to_f32(h[i]);
    return out;
  };
  int64_t ba = p.stride_a == 0 ? 1 : p.batch, bb = p.stride_b == 0 ? 1 : p.batch;
  std::vector<float> af = widen(a, operand_extent(ba, p.stride_a, p.trans_a, p.m, p.k, p.lda));
  std::vector<float> bf = widen(b, operand_extent(bb, p.stride_b, p.trans_b, p.k, p.n, p.ldb));
  sgemm_batches(p, af.data(), bf.data(), c);
}

// Whether this CPU has a oneDNN bf16 matmul (probed once with a tiny primitive).
bool onednn_has_bf16() {
  static const bool ok = [] {
    try {
      using dt = dnnl::memory::data_type;
      using tag = dnnl::memory::format_tag;
      dnnl::memory::desc a({16, 16}, dt::bf16, tag::ab), c({16, 16}, dt::f32, tag::ab);
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, a, c), cpu_engine());
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return ok;
}

void bf16_matmul(const MatmulParams& p, const void* a, const void* b, float* c) {
  if (!onednn_has_bf16()) return bf16_via_f32(p, a, b, c);
  using dt = dnnl::memory::data_type;
  using dims = dnnl::memory::dims;
  int64_t ba = p.stride_a == 0 ? 1 : p.batch, bb = p.stride_b == 0 ? 1 : p.batch;
  // A batch of one gets the dense batch stride: oneDNN's fast kernels only recognize plain
  // layouts, and a stride-0 batch dim makes it fall back to its reference kernel (~1000x slower).
  int64_t sa = ba == 1 ? p.m * p.k : p.stride_a, sb = bb == 1 ? p.k * p.n : p.stride_b;
  int64_t sc = p.batch == 1 ? p.m * p.n : p.stride_c;
  // Logical A is [batch, m, k]; stored row-major [m, k] (lda) or transposed [k, m] (lda).
  dims a_strides = p.trans_a ? dims{sa, 1, p.lda} : dims{sa, p.lda, 1};
  dims b_strides = p.trans_b ? dims{sb, 1, p.ldb} : dims{sb, p.ldb, 1};
  dnnl::memory::desc a_md({ba, p.m, p.k}, dt::bf16, a_strides);
  dnnl::memory::desc b_md({bb, p.k, p.n}, dt::bf16, b_strides);
  dnnl::memory::desc c_md({p.batch, p.m, p.n}, dt::f32, dims{sc, p.ldc, 1});
  dnnl::primitive_attr attr;
  if (p.accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  const dnnl::engine& eng = cpu_engine();
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, eng);
  dnnl::memory am(a_md, eng, const_cast<void*>(a)), bm(b_md, eng, const_cast<void*>(b)),
      cm(c_md, eng, c);
  dnnl::stream stream(eng);
  dnnl::matmul(pd).execute(stream,
                           {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  stream.wait();
}

void run_single_threaded(const MatmulParams& p, const void* a, const void* b, float* c) {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);  // per-thread setting
  try {
    if (p.dtype == DType::bf16) return bf16_matmul(p, a, b, c);
    sgemm_batches(p, static_cast<const float*>(a), static_cast<const float*>(b), c);
  } catch (const dnnl::error& e) {
    throw_error(ErrorKind::internal, std::string("oneDNN matmul failed: ") + e.what());
  }
}

}  // namespace

// The pool's threads each take a slice — batches, else rows of C, else columns — and run it
// through single-threaded oneDNN.
void onednn_matmul(const MatmulParams& p, const void* a, const void* b, float* c) {
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {
    if (!p.accumulate)
      for (int64_t bt = 0; bt < p.batch; ++bt)
        for (int64_t i = 0; i < p.m; ++i)
          std::fill(c + bt * p.stride_c + i * p.ldc, c + bt * p.stride_c + i * p.ldc + p.n, 0.0f);
    return;
  }
  ThreadPool* pool = current_thread_pool();
  const int64_t threads = pool ? pool->size() : 1;
  const double flops = 2.0 * double(p.batch) * double(p.m) * double(p.n) * double(p.k);
  const size_t es = p.dtype == DType::bf16 ? 2 : 4;
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  const uint8_t* bb = static_cast<const uint8_t*>(b);
  if (threads == 1 || flops < 2e5) return run_single_threaded(p, a, b, c);
  if (p.batch >= threads) {
    parallel_for(p.batch, 1, [&](int64_t lo, int64_t hi) {
      MatmulParams q = p;
      q.batch = hi - lo;
      run_single_threaded(q, ab + size_t(lo * p.stride_a) * es, bb + size_t(lo * p.stride_b) * es,
                          c + lo * p.stride_c);
    });
  } else if (p.m >= 8 * threads) {
    int64_t step = (p.m + threads - 1) / threads;
    parallel_for(threads, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t m0 = t * step, m1 = std::min(p.m, m0 + step);
        if (m0 >= m1) continue;
        MatmulParams q = p;
        q.m = m1 - m0;
        const uint8_t* a0 = ab + size_t(p.trans_a ? m0 : m0 * p.lda) * es;  // rows of op(A)
        run_single_threaded(q, a0, b, c + m0 * p.ldc);
      }
    });
  } else {
    int64_t step = ((p.n + threads - 1) / threads + 15) / 16 * 16;
    parallel_for(threads, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t n0 = t * step, n1 = std::min(p.n, n0 + step);
        if (n0 >= n1) continue;
        MatmulParams q = p;
        q.n = n1 - n0;
        const uint8_t* b0 = bb + size_t(p.trans_b ? n0 * p.ldb : n0) * es;  // columns of op(B)
        run_single_threaded(q, a, b0, c + n0);
      }
    });
  }
}

}  // namespace anymal::cpu
