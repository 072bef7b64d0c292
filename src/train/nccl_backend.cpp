#include "train/nccl_backend.h"

#include <cstdlib>

#include "core/error.h"

#ifdef ANYMAL_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include <deque>
#include <functional>

#include "core/dtype.h"
#endif

namespace anymal::train {

#ifdef ANYMAL_HAVE_NCCL

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw_error(ErrorKind::io, std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}

void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess)
    throw_error(ErrorKind::io, std::string("NCCL: ") + what + ": " + ncclGetErrorString(r));
}

int local_rank(int rank) {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "LOCAL_RANK"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return rank;
}

class Nccl final : public NcclBackend {
 public:
  Nccl(int rank, int size, const std::string& id) : rank_(rank), size_(size) {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0)
      throw_error(ErrorKind::unsupported,
                  "--collectives nccl: no CUDA device is visible to rank " + std::to_string(rank));
    device_ = local_rank(rank) % devices;
    check(cudaSetDevice(device_), "cudaSetDevice");
    check(cudaStreamCreate(&stream_), "cudaStreamCreate");
    ncclUniqueId uid;
    if (id.size() != sizeof uid.internal)
      throw_error(ErrorKind::internal, "NCCL: the unique id did not arrive whole");
    std::copy(id.begin(), id.end(), uid.internal);
    check(ncclCommInitRank(&comm_, size, uid, rank), "ncclCommInitRank");
  }
  ~Nccl() override {
    done();
    if (comm_) ncclCommDestroy(comm_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  void allreduce(float* data, int64_t n, bool bf16) override {
    Op& op = stage(data, n, bf16);
    check(ncclAllReduce(op.dev, op.dev, size_t(n), bf16 ? ncclBfloat16 : ncclFloat, ncclSum, comm_,
                        stream_),
          "ncclAllReduce");
    unstage(op, data, 0, n, bf16);
  }

  void reduce_scatter(const float* send, float* recv, const std::vector<int64_t>& counts,
                      bool bf16) override {
    int64_t total = 0, mine = 0;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) mine = total;
      total += counts[size_t(r)];
    }
    Op& op = stage(send, total, bf16);
    // Unequal parts: one reduce per part, each to its owner, in one group.
    check(ncclGroupStart(), "ncclGroupStart");
    int64_t at = 0;
    const size_t elem = bf16 ? 2 : 4;
    for (int r = 0; r < size_; ++r) {
      char* part = static_cast<char*>(op.dev) + size_t(at) * elem;
      check(ncclReduce(part, part, size_t(counts[size_t(r)]), bf16 ? ncclBfloat16 : ncclFloat,
                       ncclSum, r, comm_, stream_),
            "ncclReduce");
      at += counts[size_t(r)];
    }
    check(ncclGroupEnd(), "ncclGroupEnd");
    unstage(op, recv - mine, mine, mine + counts[size_t(rank_)], bf16);
  }

  void allgather(float* data, const std::vector<int64_t>& counts) override {
    int64_t total = 0;
    for (int64_t c : counts) total += c;
    Op& op = stage(data, total, false);
    check(ncclGroupStart(), "ncclGroupStart");
    int64_t at = 0;
    for (int r = 0; r < size_; ++r) {
      float* part = static_cast<float*>(op.dev) + at;
      check(ncclBroadcast(part, part, size_t(counts[size_t(r)]), ncclFloat, r, comm_, stream_),
            "ncclBroadcast");
      at += counts[size_t(r)];
    }
    check(ncclGroupEnd(), "ncclGroupEnd");
    unstage(op, data, 0, total, false);
  }

  bool done() override {
    while (!ops_.empty()) {
      Op& op = ops_.front();
      const cudaError_t e = cudaEventQuery(op.event);
      if (e == cudaErrorNotReady) return false;
      check(e, "cudaEventQuery");
      if (op.finish) op.finish();
      cudaEventDestroy(op.event);
      cudaFree(op.dev);
      ops_.pop_front();
    }
    return true;
  }

  void abort() override {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
  }

  std::string describe() const override {
    int v = 0;
    ncclGetVersion(&v);
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, device_);
    return "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) +
           " on device " + std::to_string(device_) + " (" + prop.name + ")";
  }

 private:
  struct Op {
    void* dev = nullptr;
    cudaEvent_t event = nullptr;
    std::vector<uint16_t> host16;
    std::function<void()> finish;
  };

  // The host values [0, n) on the device (as bf16 when asked).
  Op& stage(const float* host, int64_t n, bool bf16) {
    Op& op = ops_.emplace_back();
    check(cudaMalloc(&op.dev, std::max<size_t>(1, size_t(n) * (bf16 ? 2 : 4))), "cudaMalloc");
    if (bf16) {
      op.host16.resize(size_t(n));
      for (int64_t i = 0; i < n; ++i) op.host16[size_t(i)] = f32_to_bf16(host[i]);
      check(
          cudaMemcpyAsync(op.dev, op.host16.data(), size_t(n) * 2, cudaMemcpyHostToDevice, stream_),
          "cudaMemcpyAsync");
    } else {
      check(cudaMemcpyAsync(op.dev, host, size_t(n) * 4, cudaMemcpyHostToDevice, stream_),
            "cudaMemcpyAsync");
    }
    return op;
  }

  // Device elements [lo, hi) back to host[lo, hi) when the stream gets there.
  void unstage(Op& op, float* host, int64_t lo, int64_t hi, bool bf16) {
    if (bf16) {
      check(cudaMemcpyAsync(op.host16.data() + lo, static_cast<uint16_t*>(op.dev) + lo,
                            size_t(hi - lo) * 2, cudaMemcpyDeviceToHost, stream_),
            "cudaMemcpyAsync");
      op.finish = [&op, host, lo, hi] {
        for (int64_t i = lo; i < hi; ++i) host[i] = bf16_to_f32(op.host16[size_t(i)]);
      };
    } else {
      check(cudaMemcpyAsync(host + lo, static_cast<float*>(op.dev) + lo, size_t(hi - lo) * 4,
                            cudaMemcpyDeviceToHost, stream_),
            "cudaMemcpyAsync");
    }
    check(cudaEventCreateWithFlags(&op.event, cudaEventDisableTiming), "cudaEventCreate");
    check(cudaEventRecord(op.event, stream_), "cudaEventRecord");
  }

  int rank_, size_, device_ = 0;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
  std::deque<Op> ops_;
};

}  // namespace

std::string NcclBackend::unique_id() {
  ncclUniqueId id;
  check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  return std::string(id.internal, sizeof id.internal);
}

std::unique_ptr<NcclBackend> NcclBackend::create(int rank, int size, const std::string& id) {
  return std::make_unique<Nccl>(rank, size, id);
}

#else

namespace {
[[noreturn]] void no_nccl() {
  throw_error(ErrorKind::unsupported,
              "--collectives nccl: this build has no NCCL (the CUDA toolkit with NCCL was not "
              "found when it was configured)");
}
}  // namespace

std::string NcclBackend::unique_id() { no_nccl(); }
std::unique_ptr<NcclBackend> NcclBackend::create(int, int, const std::string&) { no_nccl(); }

#endif

}  // namespace anymal::train
