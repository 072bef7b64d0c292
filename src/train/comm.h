// The processes of a training job and the collectives between them. Under a launcher (mpirun,
// or srun with PMIx: OMPI_COMM_WORLD_SIZE / PMIX_RANK / PMI_SIZE in the environment) it is
// Open MPI's world — MPI is started with the object and finalized with it; otherwise a world
// of one process, where every collective is a no-op. Not copyable: one per process.
//
// A failure on one rank must not leave the others waiting in a collective: abort() prints
// the error with the rank and host and ends the whole job (MPI_Abort).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace anymal::train {

class Comm {
 public:
  // MPI when launched by one (an invalid_input error when this build has no MPI), else one.
  static std::unique_ptr<Comm> world();
  static std::unique_ptr<Comm> single();
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string& host() const { return host_; }
  bool distributed() const { return size_ > 1; }

  // In place, the element-wise sum over all processes (the same order on every rank, so the
  // result is bit-identical everywhere).
  void allreduce_sum(float* data, int64_t n);
  void allreduce_sum(double* data, int64_t n);
  void barrier();
  // Every process's string, in rank order, on every process.
  std::vector<std::string> allgather(const std::string& mine);
  // The MPI library's own version line ("" for a world of one).
  std::string library_version() const;
  [[noreturn]] void abort(int code, const std::string& message);

 private:
  Comm() = default;
  int rank_ = 0, size_ = 1;
  bool mpi_ = false;
  std::string host_;
};

}  // namespace anymal::train
