#include "train/job_check.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <dnnl.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::train {

namespace {

// FNV-1a, as hex.
std::string fnv_hex(std::istream& in) {
  uint64_t h = 1469598103934665603ull;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
    if (!in) break;
  }
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string executable_hash() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  return fnv_hex(in);
}

}  // namespace

std::vector<RankInfo> gather_ranks(Comm& comm, int threads) {
  const dnnl_version_t* v = dnnl_version();
  const std::string mpi = comm.library_version();
  const nlohmann::json mine = {
      {"host", comm.host()},
      {"threads", threads},
      {"cores", physical_core_count()},
      {"binary", executable_hash()},
      {"libraries", "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                        std::to_string(v->patch) + (mpi.empty() ? "" : "; " + mpi)}};
  std::vector<RankInfo> out;
  int rank = 0;
  for (const std::string& s : comm.allgather(mine.dump())) {
    const nlohmann::json j = nlohmann::json::parse(s);
    out.push_back({rank++, j["host"], j["threads"], j["cores"], j["binary"], j["libraries"]});
  }
  return out;
}

void require_same_build(const std::vector<RankInfo>& ranks) {
  for (const RankInfo& r : ranks) {
    const RankInfo& first = ranks.front();
    if (r.binary != first.binary)
      throw_error(ErrorKind::invalid_input,
                  "rank " + std::to_string(r.rank) + " on " + r.host +
                      " runs a different anymal binary (" + r.binary + ") than rank 0 on " +
                      first.host + " (" + first.binary + "): install the same build everywhere");
    if (r.libraries != first.libraries)
      throw_error(ErrorKind::invalid_input, "rank " + std::to_string(r.rank) + " on " + r.host +
                                                " loads " + r.libraries + ", rank 0 on " +
                                                first.host + " " + first.libraries +
                                                ": the same versions are needed everywhere");
  }
}

void require_same_job(Comm& comm, const std::string& job) {
  std::istringstream in(job);
  const std::vector<std::string> all = comm.allgather(fnv_hex(in));
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw_error(ErrorKind::invalid_input,
                  "rank " + std::to_string(r) + " on " + comm.host_of(int(r)) +
                      " was given another recipe or other options than rank 0 on " +
                      comm.host_of(0) +
                      ": every rank must run the same job (a recipe file "
                      "that differs between hosts?)");
}

double allreduce_bandwidth(Comm& comm, int64_t bytes, int reps) {
  if (!comm.distributed()) return 0;
  std::vector<float> buf(size_t(std::max<int64_t>(1, bytes / 4)), 1.0f);
  std::vector<double> secs;
  comm.allreduce_sum(buf.data(), int64_t(buf.size()));  // warm-up
  for (int i = 0; i < reps; ++i) {
    comm.barrier();
    const auto t0 = std::chrono::steady_clock::now();
    comm.allreduce_sum(buf.data(), int64_t(buf.size()));
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  double median = secs[secs.size() / 2];
  // Every rank reports rank 0's figure.
  if (comm.rank() != 0) median = 0;
  comm.allreduce_sum(&median, 1);
  return double(buf.size() * 4) / median;
}

}  // namespace anymal::train
