// anymal doctor [--mb N]: under mpirun / srun, each rank's host, threads, cores, binary and
// library versions and an all-reduce bandwidth figure; exits 2 on every rank when ranks run a
// different binary or libraries. Alone, the same for this process.
#include <cstdio>

#include "commands.h"
#include "core/thread_pool.h"
#include "train/job_check.h"

namespace anymal::cli {

Runner add_doctor_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("doctor", "check the processes of a distributed job");
  auto mb = std::make_shared<int>(16);
  cmd->add_option("--mb", *mb, "all-reduce size for the bandwidth figure (default 16 MiB)")
      ->check(CLI::Range(1, 4096));
  return [mb] {
    const std::unique_ptr<train::Comm> comm = train::Comm::world();
    const int threads = current_thread_pool() ? current_thread_pool()->size() : 1;
    const std::vector<train::RankInfo> ranks = train::gather_ranks(*comm, threads);
    const double bw = train::allreduce_bandwidth(*comm, int64_t(*mb) << 20);
    if (comm->rank() == 0) {
      std::printf("rank  host              threads  cores  binary            libraries\n");
      for (const auto& r : ranks)
        std::printf("%4d  %-16s  %7d  %5d  %s  %s\n", r.rank, r.host.c_str(), r.threads, r.cores,
                    r.binary.c_str(), r.libraries.c_str());
      if (comm->distributed())
        std::printf("all-reduce of %d MiB over %d ranks: %.2f GB/s (median of 5)\n", *mb,
                    comm->size(), bw / 1e9);
    }
    train::require_same_build(ranks);  // every rank throws alike: none is left waiting
    if (comm->rank() == 0) std::printf("all %d ranks run the same build\n", comm->size());
    return 0;
  };
}

}  // namespace anymal::cli
