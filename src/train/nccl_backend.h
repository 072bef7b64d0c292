// NCCL collectives for a data-parallel job on GPUs (`anymal train --collectives nccl`): the
// job's ranks stay Open MPI processes (launch, rendezvous, timeouts, notes; train/comm.h),
// and the float sums and gathers of training run through NCCL on each rank's GPU (device =
// local rank % devices). The buffers are the trainer's host tensors, staged through device
// memory on one stream; a CUDA backend would hand device pointers over without the copies.
// Only compiled where the CUDA toolkit with NCCL is found (ANYMAL_HAVE_NCCL); elsewhere
// create() throws with the reason.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace anymal::train {

class NcclBackend {
 public:
  // Rank 0 makes the id (opaque bytes), every rank creates its end with it (collective over
  // the job). Both throw with the reason when NCCL or a device is missing.
  static std::string unique_id();
  static std::unique_ptr<NcclBackend> create(int rank, int size, const std::string& id);
  virtual ~NcclBackend() = default;

  // Enqueued on the stream; done() is true once every enqueued operation has completed.
  virtual void allreduce(float* data, int64_t n, bool bf16) = 0;
  // send: size consecutive parts of counts[r]; recv: the sum of this rank's part.
  virtual void reduce_scatter(const float* send, float* recv, const std::vector<int64_t>& counts,
                              bool bf16) = 0;
  // data: size consecutive parts, this rank's filled; in place.
  virtual void allgather(float* data, const std::vector<int64_t>& counts) = 0;
  virtual bool done() = 0;
  virtual void abort() = 0;                  // ncclCommAbort: a hung peer cannot hold this rank
  virtual std::string describe() const = 0;  // "NCCL 2.x on device 0 (name)"
};

}  // namespace anymal::train
