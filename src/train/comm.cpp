#include "train/comm.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

#ifdef ANYMAL_HAVE_MPI
#include <mpi.h>
#endif

namespace anymal::train {

namespace {

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

std::string hostname() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  return h;
}

}  // namespace

std::unique_ptr<Comm> Comm::single() {
  std::unique_ptr<Comm> c(new Comm());
  c->host_ = hostname();
  return c;
}

std::unique_ptr<Comm> Comm::world() {
  if (!launched_by_mpi()) return single();
#ifdef ANYMAL_HAVE_MPI
  std::unique_ptr<Comm> c(new Comm());
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  c->mpi_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &c->size_);
  c->host_ = hostname();
  return c;
#else
  throw_error(ErrorKind::unsupported,
              "started by an MPI launcher, but this build has no MPI (install libopenmpi-dev "
              "and rebuild)");
#endif
}

Comm::~Comm() {
#ifdef ANYMAL_HAVE_MPI
  if (mpi_) MPI_Finalize();
#endif
}

#ifdef ANYMAL_HAVE_MPI
namespace {

// In-place MPI_SUM in chunks (MPI counts are ints).
template <class T>
void allreduce_in_chunks(T* data, int64_t n, MPI_Datatype type) {
  for (int64_t done = 0; done < n;) {
    const int count = int(std::min<int64_t>(n - done, INT_MAX / 2));
    MPI_Allreduce(MPI_IN_PLACE, data + done, count, type, MPI_SUM, MPI_COMM_WORLD);
    done += count;
  }
}

}  // namespace
#endif

void Comm::allreduce_sum(float* data, int64_t n) {
#ifdef ANYMAL_HAVE_MPI
  if (mpi_ && size_ > 1) allreduce_in_chunks(data, n, MPI_FLOAT);
#else
  (void)data, (void)n;
#endif
}

void Comm::allreduce_sum(double* data, int64_t n) {
#ifdef ANYMAL_HAVE_MPI
  if (mpi_ && size_ > 1) allreduce_in_chunks(data, n, MPI_DOUBLE);
#else
  (void)data, (void)n;
#endif
}

void Comm::barrier() {
#ifdef ANYMAL_HAVE_MPI
  if (mpi_) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

std::vector<std::string> Comm::allgather(const std::string& mine) {
  if (!mpi_ || size_ == 1) return {mine};
  std::vector<std::string> out;
#ifdef ANYMAL_HAVE_MPI
  int n = int(mine.size());
  std::vector<int> sizes(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
  MPI_Allgather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[size_t(r)] = total;
    total += sizes[size_t(r)];
  }
  std::string all(size_t(total), '\0');
  MPI_Allgatherv(mine.data(), n, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR,
                 MPI_COMM_WORLD);
  for (int r = 0; r < size_; ++r)
    out.push_back(all.substr(size_t(offsets[size_t(r)]), size_t(sizes[size_t(r)])));
#endif
  return out;
}

std::string Comm::library_version() const {
#ifdef ANYMAL_HAVE_MPI
  if (mpi_) {
    char v[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int n = 0;
    MPI_Get_library_version(v, &n);
    std::string s(v, size_t(n));
    return s.substr(0, s.find_first_of(",\n"));
  }
#endif
  return "";
}

void Comm::abort(int code, const std::string& message) {
  std::fprintf(stderr, "error: rank %d of %d (%s): %s\n", rank_, size_, host_.c_str(),
               message.c_str());
  std::fflush(stderr);
#ifdef ANYMAL_HAVE_MPI
  if (mpi_) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::_Exit(code);
}

}  // namespace anymal::train
