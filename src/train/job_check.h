// The health check of a distributed job (`anymal doctor`, and every `anymal train` under a
// launcher before it starts): what each rank runs on — host, threads, cores, the binary (a
// hash of its bytes) and the libraries it loaded — gathered to every rank, so that ranks that
// differ in binary or library versions (the "dependency mismatch" that loses days on a
// cluster) are refused at start, on every rank, with a message naming the odd one out; and a
// small all-reduce bandwidth figure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/comm.h"

namespace anymal::train {

struct RankInfo {
  int rank = 0;
  std::string host;
  int threads = 0, cores = 0;
  std::string binary;     // FNV-1a of the executable's bytes, hex
  std::string libraries;  // "oneDNN 2.7.3; Open MPI v4.1.4"
};

// Collective: every rank's info, in rank order.
std::vector<RankInfo> gather_ranks(Comm& comm, int threads);
// Throws invalid_input naming the first rank whose binary or libraries differ from rank 0's.
void require_same_build(const std::vector<RankInfo>& ranks);
// Collective: throws invalid_input on every rank, naming the first rank whose `job` (the
// recipe's text and the options that shape training) differs from rank 0's.
void require_same_job(Comm& comm, const std::string& job);
// Collective: the median over `reps` all-reduces of `bytes` (f32 sums), as bytes per second
// of the buffer (0 for a world of one).
double allreduce_bandwidth(Comm& comm, int64_t bytes, int reps = 5);

}  // namespace anymal::train
