#include "train/comm.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <thread>

#include "core/dtype.h"
#include "core/error.h"
#include "train/nccl_backend.h"

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

// MPI counts are ints: large buffers go in windows of this many elements.
constexpr int64_t kWindow = int64_t(1) << 28;

// The parts of consecutive `counts` that fall in [lo, hi), relative to lo.
void window_parts(const std::vector<int64_t>& counts, int64_t lo, int64_t hi, std::vector<int>& n,
                  std::vector<int>& displ) {
  n.assign(counts.size(), 0);
  displ.assign(counts.size(), 0);
  int64_t at = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    const int64_t a = std::max(at, lo), b = std::min(at + counts[r], hi);
    n[r] = int(std::max<int64_t>(0, b - a));
    displ[r] = int(std::max<int64_t>(0, a - lo));
    at += counts[r];
  }
}

}  // namespace

#ifdef ANYMAL_HAVE_MPI

namespace {

void bf16_sum(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = f32_to_bf16(bf16_to_f32(a[i]) + bf16_to_f32(b[i]));
}

}  // namespace

struct Comm::Mpi {
  // One collective in flight: its request, what to do when it completes, its buffers.
  struct Pending {
    MPI_Request request = MPI_REQUEST_NULL;
    bool done = false;
    int64_t seq = 0;
    std::string what;
    std::chrono::steady_clock::time_point started;
    std::vector<int> counts, displs;
    std::vector<uint16_t> send16, recv16;
    std::function<void(Pending&)> finish;
    std::function<bool()> poll;  // NCCL: complete? (instead of the MPI request)
  };
  MPI_Op bf16_op = MPI_OP_NULL;
  MPI_Comm world = MPI_COMM_NULL;  // this object's collectives (a duplicate of the world's)
  MPI_Comm notes = MPI_COMM_NULL;  // arrival notes, beside the collectives
  bool owner = false;              // started MPI (finalizes it)

  static std::unique_ptr<Comm> over(MPI_Comm base, bool owner,
                                    const std::vector<std::string>& hosts);
  std::deque<Pending> pending;
  int64_t seq = 0;
  // Notes: a positive value says "I reached collective #v"; a negative one "I am waiting in
  // collective #-v" (a heartbeat, sent while a wait lasts).
  std::vector<int64_t> latest;  // the newest collective each rank is known to have reached
  std::vector<std::chrono::steady_clock::time_point> heard;  // each rank's latest note
  std::chrono::steady_clock::time_point last_beat;
  std::vector<int64_t> note_in;
  std::vector<MPI_Request> note_recv;
  std::vector<int> note_from;
  std::deque<std::pair<int64_t, MPI_Request>> note_send;

  void post_recv(size_t i) {
    MPI_Irecv(&note_in[i], 1, MPI_INT64_T, note_from[i], 0, notes, &note_recv[i]);
  }
  void poll_notes() {
    for (size_t i = 0; i < note_recv.size(); ++i)
      for (int flag = 1; flag;) {
        MPI_Test(&note_recv[i], &flag, MPI_STATUS_IGNORE);
        if (!flag) break;
        auto& l = latest[size_t(note_from[i])];
        l = std::max(l, note_in[i] < 0 ? -note_in[i] : note_in[i]);
        heard[size_t(note_from[i])] = std::chrono::steady_clock::now();
        post_recv(i);
      }
    while (!note_send.empty()) {
      int flag = 0;
      MPI_Test(&note_send.front().second, &flag, MPI_STATUS_IGNORE);
      if (!flag) break;
      note_send.pop_front();
    }
  }
  // Every collective starts here: numbered, and announced (to rank 0, or by rank 0 to all)
  // so that a rank that times out can tell who never arrived.
  Pending& begin(const char* what, int rank, int size) {
    Pending& p = pending.emplace_back();
    p.seq = ++seq;
    p.what = what;
    p.started = std::chrono::steady_clock::now();
    latest[size_t(rank)] = p.seq;
    send_note(p.seq, rank, size);
    return p;
  }
  // To rank 0, or from rank 0 to every rank.
  void send_note(int64_t value, int rank, int size) {
    for (int r = 0; r < size; ++r) {
      if (r == rank || (rank != 0 && r != 0)) continue;
      note_send.emplace_back(value, MPI_REQUEST_NULL);
      auto& [v, request] = note_send.back();
      MPI_Isend(&v, 1, MPI_INT64_T, r, 0, notes, &request);
    }
  }
  void test(Pending& p) {
    if (p.done) return;
    int flag = 0;
    if (p.poll)
      flag = p.poll();
    else
      MPI_Test(&p.request, &flag, MPI_STATUS_IGNORE);
    if (!flag) return;
    p.done = true;
    if (p.finish) p.finish(p);
  }
};

Comm::Comm() = default;

std::unique_ptr<Comm> Comm::single() {
  std::unique_ptr<Comm> c(new Comm());
  c->host_ = hostname();
  c->hosts_ = {c->host_};
  return c;
}

// A communicator over a duplicate of `base`, with its own arrival notes.
std::unique_ptr<Comm> Comm::Mpi::over(MPI_Comm base, bool owner,
                                      const std::vector<std::string>& hosts) {
  std::unique_ptr<Comm> c(new Comm());
  c->mpi_ = std::make_unique<Mpi>();
  Mpi& m = *c->mpi_;
  m.owner = owner;
  MPI_Comm_dup(base, &m.world);
  MPI_Comm_dup(base, &m.notes);
  MPI_Comm_rank(m.world, &c->rank_);
  MPI_Comm_size(m.world, &c->size_);
  c->host_ = hostname();
  c->hosts_ = hosts;
  if (c->hosts_.empty()) {
    std::vector<char> names(size_t(c->size_) * 256, '\0');
    c->host_.copy(names.data() + size_t(c->rank_) * 256, 255);
    MPI_Allgather(MPI_IN_PLACE, 256, MPI_CHAR, names.data(), 256, MPI_CHAR, m.world);
    for (int r = 0; r < c->size_; ++r) c->hosts_.emplace_back(names.data() + size_t(r) * 256);
  }
  MPI_Op_create(&bf16_sum, 1, &m.bf16_op);
  m.latest.assign(size_t(c->size_), 0);
  m.heard.assign(size_t(c->size_), std::chrono::steady_clock::now());
  for (int r = 0; r < c->size_; ++r)
    if (r != c->rank_ && (c->rank_ == 0 || r == 0)) m.note_from.push_back(r);
  m.note_in.assign(m.note_from.size(), 0);
  m.note_recv.assign(m.note_from.size(), MPI_REQUEST_NULL);
  for (size_t i = 0; i < m.note_from.size(); ++i) m.post_recv(i);
  return c;
}

std::unique_ptr<Comm> Comm::world() {
  if (!launched_by_mpi()) return single();
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  return Mpi::over(MPI_COMM_WORLD, true, {});
}

std::unique_ptr<Comm> Comm::duplicate() {
  if (!mpi_) return single();
  auto c = Mpi::over(mpi_->world, false, hosts_);
  c->timeout_s_ = timeout_s_;
  c->context_ = context_;
  return c;
}

Comm::~Comm() {
  nccl_.reset();
  if (!mpi_) return;
  Mpi& m = *mpi_;
  barrier();  // every rank's last notes are sent before the receives are withdrawn
  for (MPI_Request& r : m.note_recv) {
    MPI_Cancel(&r);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
  }
  for (auto& [seq, r] : m.note_send) MPI_Wait(&r, MPI_STATUS_IGNORE);
  MPI_Comm_free(&m.notes);
  MPI_Comm_free(&m.world);
  MPI_Op_free(&m.bf16_op);
  if (m.owner) MPI_Finalize();
}

std::string Comm::use_nccl() {
  if (!mpi_ || size_ == 1) return "one process: nothing to reduce";
  const std::string id = rank_ == 0 ? NcclBackend::unique_id() : "";
  nccl_ = NcclBackend::create(rank_, size_, allgather(id)[0]);
  return nccl_->describe();
}

// An operation enqueued on NCCL's stream, registered like an MPI one (notes, timeout).
int64_t Comm::nccl_op(const char* what, const std::function<void()>& enqueue) {
  Mpi::Pending& p = mpi_->begin(what, rank_, size_);
  enqueue();
  p.poll = [this] { return nccl_->done(); };
  return p.seq;
}

int64_t Comm::start_allreduce(float* data, int64_t n, bool bf16) {
  if (!mpi_ || size_ == 1) return 0;
  if (nccl_) return nccl_op("all-reduce (NCCL)", [&] { nccl_->allreduce(data, n, bf16); });
  Mpi& m = *mpi_;
  for (int64_t lo = 0; lo < n; lo += kWindow) {
    const int count = int(std::min(n - lo, kWindow));
    Mpi::Pending& p = mpi_->begin("all-reduce", rank_, size_);
    if (!bf16) {
      MPI_Iallreduce(MPI_IN_PLACE, data + lo, count, MPI_FLOAT, MPI_SUM, mpi_->world, &p.request);
      continue;
    }
    p.send16.resize(size_t(count));
    for (int i = 0; i < count; ++i) p.send16[size_t(i)] = f32_to_bf16(data[lo + i]);
    MPI_Iallreduce(MPI_IN_PLACE, p.send16.data(), count, MPI_UINT16_T, m.bf16_op, mpi_->world,
                   &p.request);
    float* out = data + lo;
    p.finish = [out](Mpi::Pending& q) {
      for (size_t i = 0; i < q.send16.size(); ++i) out[i] = bf16_to_f32(q.send16[i]);
    };
  }
  return m.seq;
}

int64_t Comm::start_reduce_scatter(const float* send, float* recv,
                                   const std::vector<int64_t>& counts, bool bf16) {
  int64_t total = 0, mine_at = 0;
  for (int r = 0; r < int(counts.size()); ++r) {
    if (r == rank_) mine_at = total;
    total += counts[size_t(r)];
  }
  if (!mpi_ || size_ == 1) {
    std::copy(send, send + total, recv);
    return 0;
  }
  if (nccl_)
    return nccl_op("reduce-scatter (NCCL)",
                   [&] { nccl_->reduce_scatter(send, recv, counts, bf16); });
  Mpi& m = *mpi_;
  const int64_t mine_end = mine_at + counts[size_t(rank_)];
  for (int64_t lo = 0; lo < total; lo += kWindow) {
    const int64_t hi = std::min(total, lo + kWindow);
    Mpi::Pending& p = mpi_->begin("reduce-scatter", rank_, size_);
    window_parts(counts, lo, hi, p.counts, p.displs);
    float* out = recv + std::max<int64_t>(0, std::min(lo, mine_end) - mine_at);
    if (!bf16) {
      MPI_Ireduce_scatter(send + lo, out, p.counts.data(), MPI_FLOAT, MPI_SUM, mpi_->world,
                          &p.request);
      continue;
    }
    p.send16.resize(size_t(hi - lo));
    for (int64_t i = lo; i < hi; ++i) p.send16[size_t(i - lo)] = f32_to_bf16(send[i]);
    p.recv16.resize(size_t(std::max(1, p.counts[size_t(rank_)])));
    MPI_Ireduce_scatter(p.send16.data(), p.recv16.data(), p.counts.data(), MPI_UINT16_T, m.bf16_op,
                        mpi_->world, &p.request);
    p.finish = [out, this](Mpi::Pending& q) {
      for (int i = 0; i < q.counts[size_t(rank_)]; ++i) out[i] = bf16_to_f32(q.recv16[size_t(i)]);
    };
  }
  return m.seq;
}

void Comm::progress() {
  if (!mpi_) return;
  for (auto& p : mpi_->pending) mpi_->test(p);
  mpi_->poll_notes();
  while (!mpi_->pending.empty() && mpi_->pending.front().done) mpi_->pending.pop_front();
}

bool Comm::finished(int64_t ticket) {
  if (!mpi_) return true;
  progress();
  return mpi_->pending.empty() || mpi_->pending.front().seq > ticket;
}

void Comm::wait() {
  if (!mpi_) return;
  Mpi& m = *mpi_;
  using Clock = std::chrono::steady_clock;
  // Ranks other than 0 give rank 0 a moment to speak first: it knows who did not arrive.
  const double limit = timeout_s_ + (rank_ == 0 ? 0.0 : 2.0);
  // A waiting rank says so every `beat` seconds; one not heard from for `silent` seconds is
  // outside communication (computing — or stopped, or stuck).
  const double beat = std::min(1.0, timeout_s_ / 8), silent = 4 * beat;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  while (!m.pending.empty()) {
    Mpi::Pending& p = m.pending.front();
    while (!p.done) {
      m.test(p);
      m.poll_notes();
      if (p.done) break;
      if (since(m.last_beat) > beat) {
        m.send_note(-p.seq, rank_, size_);
        m.last_beat = Clock::now();
      }
      const double waited = since(p.started);
      if (waited > limit) timed_out(p.seq, p.what, waited, silent);
      // Open MPI advances a non-blocking collective only inside MPI calls: test again at
      // once (yielding the core), and only sleep between tests in a wait already long.
      if (waited > 2.0)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      else
        std::this_thread::yield();
    }
    m.pending.pop_front();
  }
}

void Comm::timed_out(int64_t seq, const std::string& what, double waited, double silent) {
  Mpi& m = *mpi_;
  std::string msg = "collective #" + std::to_string(seq) + " (" + what +
                    (context_->empty() ? "" : ", " + *context_) + ") has waited " +
                    std::to_string(int(waited)) + " s: ";
  // Rank 0 hears from every rank; the others from rank 0 only.
  std::string absent, quiet;
  for (int r = 0; r < size_; ++r) {
    if (r == rank_ || (rank_ != 0 && r != 0)) continue;
    const std::string who = "rank " + std::to_string(r) + " on " + hosts_[size_t(r)];
    const double gone =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m.heard[size_t(r)])
            .count();
    if (m.latest[size_t(r)] < seq)
      absent += (absent.empty() ? "" : ", ") + who;
    else if (gone > silent)
      quiet += (quiet.empty() ? "" : ", ") + who + " (silent " + std::to_string(int(gone)) + " s)";
  }
  if (!absent.empty())
    msg += absent + " never reached it (died, stopped or hung)";
  else if (!quiet.empty())
    msg += quiet + " reached it but stopped answering (stopped, or stuck outside communication)";
  else if (rank_ == 0)
    msg += "every rank reached it and is waiting, but it did not complete (the network?)";
  else
    msg += "another rank is missing (rank 0's message names it)";
  abort(3, msg + "; ending the job (--collective-timeout sets the limit)");
}

void Comm::allreduce_sum(float* data, int64_t n) {
  start_allreduce(data, n, false);
  wait();
}

void Comm::allreduce_sum(double* data, int64_t n) {
  if (!mpi_ || size_ == 1) return;
  for (int64_t lo = 0; lo < n; lo += kWindow) {
    Mpi::Pending& p = mpi_->begin("all-reduce", rank_, size_);
    MPI_Iallreduce(MPI_IN_PLACE, data + lo, int(std::min(n - lo, kWindow)), MPI_DOUBLE, MPI_SUM,
                   mpi_->world, &p.request);
  }
  wait();
}

void Comm::barrier(double timeout_s) {
  if (!mpi_ || size_ == 1) return;
  Mpi::Pending& p = mpi_->begin("barrier", rank_, size_);
  MPI_Ibarrier(mpi_->world, &p.request);
  const double usual = timeout_s_;
  if (timeout_s >= 0) timeout_s_ = timeout_s;
  wait();
  timeout_s_ = usual;
}

void Comm::allgather_parts(float* data, const std::vector<int64_t>& counts) {
  if (!mpi_ || size_ == 1) return;
  if (nccl_) {
    nccl_op("all-gather (NCCL)", [&] { nccl_->allgather(data, counts); });
    return wait();
  }
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  for (int64_t lo = 0; lo < total; lo += kWindow) {
    Mpi::Pending& p = mpi_->begin("all-gather", rank_, size_);
    window_parts(counts, lo, std::min(total, lo + kWindow), p.counts, p.displs);
    MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, data + lo, p.counts.data(), p.displs.data(),
                    MPI_FLOAT, mpi_->world, &p.request);
  }
  wait();
}

std::vector<std::string> Comm::allgather(const std::string& mine) {
  if (!mpi_ || size_ == 1) return {mine};
  std::vector<int64_t> sizes(size_t(size_), 0);
  std::vector<double> lens(size_t(size_), 0.0);
  lens[size_t(rank_)] = double(mine.size());
  allreduce_sum(lens.data(), size_);  // one rank's length each: exact in double
  int64_t total = 0;
  for (int r = 0; r < size_; ++r) total += (sizes[size_t(r)] = int64_t(lens[size_t(r)]));
  std::string all(size_t(total), '\0');
  Mpi::Pending& p = mpi_->begin("all-gather", rank_, size_);
  window_parts(sizes, 0, total, p.counts, p.displs);
  mine.copy(all.data() + p.displs[size_t(rank_)], mine.size());
  MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_CHAR, all.data(), p.counts.data(), p.displs.data(), MPI_CHAR,
                  mpi_->world, &p.request);
  wait();
  std::vector<std::string> out;
  int64_t at = 0;
  for (int r = 0; r < size_; ++r) {
    out.push_back(all.substr(size_t(at), size_t(sizes[size_t(r)])));
    at += sizes[size_t(r)];
  }
  return out;
}

std::string Comm::library_version() const {
  if (!mpi_) return "";
  char v[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int n = 0;
  MPI_Get_library_version(v, &n);
  std::string s(v, size_t(n));
  return s.substr(0, s.find_first_of(",\n"));
}

void Comm::abort(int code, const std::string& message) {
  std::fprintf(stderr, "error: rank %d of %d (%s): %s\n", rank_, size_, host_.c_str(),
               message.c_str());
  std::fflush(stderr);
  if (nccl_) nccl_->abort();
  if (mpi_) MPI_Abort(mpi_->world, code);
  std::_Exit(code);
}

#else  // a build without MPI: always a world of one

struct Comm::Mpi {};
std::unique_ptr<Comm> Comm::duplicate() { return single(); }
std::string Comm::use_nccl() {
  if (size_ == 1) return "one process: nothing to reduce";
  NcclBackend::unique_id();  // throws: no MPI job to run NCCL in
  return "";
}
Comm::Comm() = default;
Comm::~Comm() = default;

std::unique_ptr<Comm> Comm::single() {
  std::unique_ptr<Comm> c(new Comm());
  c->host_ = hostname();
  c->hosts_ = {c->host_};
  return c;
}

std::unique_ptr<Comm> Comm::world() {
  if (!launched_by_mpi()) return single();
  throw_error(ErrorKind::unsupported,
              "started by an MPI launcher, but this build has no MPI (install libopenmpi-dev "
              "and rebuild)");
}

int64_t Comm::start_allreduce(float*, int64_t, bool) { return 0; }
int64_t Comm::start_reduce_scatter(const float* send, float* recv,
                                   const std::vector<int64_t>& counts, bool) {
  std::copy(send, send + counts.at(0), recv);
  return 0;
}
void Comm::progress() {}
bool Comm::finished(int64_t) { return true; }
void Comm::wait() {}
void Comm::allreduce_sum(float*, int64_t) {}
void Comm::allreduce_sum(double*, int64_t) {}
void Comm::barrier(double) {}
void Comm::allgather_parts(float*, const std::vector<int64_t>&) {}
std::vector<std::string> Comm::allgather(const std::string& mine) { return {mine}; }
std::string Comm::library_version() const { return ""; }

void Comm::abort(int code, const std::string& message) {
  std::fprintf(stderr, "error: rank %d of %d (%s): %s\n", rank_, size_, host_.c_str(),
               message.c_str());
  std::fflush(stderr);
  std::_Exit(code);
}

#endif

}  // namespace anymal::train
