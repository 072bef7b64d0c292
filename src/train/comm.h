// The processes of a training job and the collectives between them. Under a launcher (mpirun,
// or srun with PMIx: OMPI_COMM_WORLD_SIZE / PMIX_RANK / PMI_SIZE in the environment) it is
// Open MPI's world — MPI is started with the object and finalized with it; otherwise a world
// of one process, where every collective is a no-op. Not copyable: one per process.
//
// No rank waits forever. Every collective is started non-blocking and waited on with a
// deadline (set_timeout, default 600 s, the NCCL watchdog's default in PyTorch); each rank
// tells rank 0 — and rank 0 tells every rank — when it reaches a collective, and sends a
// heartbeat every second while it waits, so the rank that times out can name the one that
// never arrived or the one that went silent (killed, stopped, stuck in I/O). A failure on
// one rank must not leave the others waiting either: abort() prints the error with the rank
// and host and ends the whole job (MPI_Abort).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace anymal::train {

class NcclBackend;

class Comm {
 public:
  // MPI when launched by one (an invalid_input error when this build has no MPI), else one.
  static std::unique_ptr<Comm> world();
  static std::unique_ptr<Comm> single();
  // Collective: the same processes on a communicator of their own, whose collectives are
  // ordered independently of this one's (the sharded trainer gathers weights on one while
  // gradients reduce on the other). Destroy it before this one.
  std::unique_ptr<Comm> duplicate();
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string& host() const { return host_; }
  const std::string& host_of(int rank) const { return hosts_[size_t(rank)]; }
  bool distributed() const { return size_ > 1; }

  // Collective: from here on the float sums and gathers (all-reduce, reduce-scatter,
  // all-gather of parts) run through NCCL on this rank's GPU (train/nccl_backend.h); the
  // rest, the notes and the timeouts stay on MPI. Throws, naming the reason, where this build
  // has no NCCL or no device is visible. Returns a line describing it.
  std::string use_nccl();
  bool uses_nccl() const { return nccl_ != nullptr; }

  // How long one collective may wait for the other ranks before the job is ended.
  void set_timeout(double seconds) { timeout_s_ = seconds; }
  // Where the job is ("stage instruct step 12"), for the timeout message.
  // (Shared with duplicate()s.)
  void set_context(std::string where) { *context_ = std::move(where); }

  // Blocking collectives. In place, the element-wise sum over all processes (the same order
  // on every rank, so the result is bit-identical everywhere).
  void allreduce_sum(float* data, int64_t n);
  void allreduce_sum(double* data, int64_t n);
  // timeout_s: this wait's own limit (the set_timeout one when negative).
  void barrier(double timeout_s = -1);
  // Every process's string, in rank order, on every process.
  std::vector<std::string> allgather(const std::string& mine);
  // data holds size() consecutive parts, part r counts[r] long; each rank fills its own and
  // receives the others' (in place).
  void allgather_parts(float* data, const std::vector<int64_t>& counts);

  // Collectives in flight, so communication overlaps computation: start_* returns at once
  // with a ticket, progress() lets MPI advance them (call it between pieces of work),
  // finished(ticket) says whether that one (and every one started before it) is complete,
  // wait() completes all of them. Buffers must stay valid and untouched until then. With bf16
  // the values travel and are summed as bfloat16 (half the bytes; each partial sum rounded).
  int64_t start_allreduce(float* data, int64_t n, bool bf16);
  // send holds size() consecutive parts (counts[r] long); recv gets the sum over ranks of
  // this rank's part.
  int64_t start_reduce_scatter(const float* send, float* recv, const std::vector<int64_t>& counts,
                               bool bf16);
  void progress();
  bool finished(int64_t ticket);
  void wait();

  // The MPI library's own version line ("" for a world of one).
  std::string library_version() const;
  [[noreturn]] void abort(int code, const std::string& message);

 private:
  Comm();
  struct Mpi;
  int64_t nccl_op(const char* what, const std::function<void()>& enqueue);
  [[noreturn]] void timed_out(int64_t seq, const std::string& what, double waited, double silent);
  int rank_ = 0, size_ = 1;
  std::string host_;
  std::vector<std::string> hosts_;
  double timeout_s_ = 600;
  std::shared_ptr<std::string> context_ = std::make_shared<std::string>();
  std::unique_ptr<Mpi> mpi_;  // null: a world of one
  std::unique_ptr<NcclBackend> nccl_;
};

}  // namespace anymal::train
