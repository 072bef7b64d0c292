#include "core/thread_pool.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace anymal {

namespace {
// Per-thread execution context (not shared state): which pool this thread's kernels use, and
// whether it is already inside a parallel region (nested regions run inline).
thread_local ThreadPool* tls_pool = nullptr;
thread_local bool tls_in_parallel = false;

// How long a thread polls before it blocks (~50-100 µs): covers the gap between the regions of
// one decode step, not the time between requests.
constexpr int kSpinIterations = 20000;

// Polls done() with a pause between tries, up to kSpinIterations times; whether it came true.
template <class Done>
bool spin_until(Done done) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (done()) return true;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  return done();
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  for (auto& t : workers_) t.join();
}

void ThreadPool::work_on_current_job() {
  tls_in_parallel = true;
  while (!failed_.load(std::memory_order_relaxed)) {
    const int64_t begin = next_.fetch_add(job_chunk_);
    if (begin >= job_n_) break;
    try {
      (*job_)(begin, std::min(job_n_, begin + job_chunk_));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
      failed_ = true;
    }
  }
  tls_in_parallel = false;
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  auto woken = [&] { return stop_.load() || generation_.load() != seen; };
  for (;;) {
    if (!spin_until(woken)) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      ++sleepers_;  // before the predicate's check: see run()
      wake_.wait(lock, woken);
      --sleepers_;
    }
    if (stop_) return;
    seen = generation_.load();
    ++active_;
    if (open_.load()) work_on_current_job();
    // As with sleepers_: we decrement, then read caller_waiting_; the caller sets it, then reads
    // active_. Either it sees us gone, or we see it waiting and wake it.
    if (--active_ == 0 && caller_waiting_.load()) {
      std::lock_guard<std::mutex> lock(done_mutex_);
      done_.notify_all();
    }
  }
}

void ThreadPool::run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain || tls_in_parallel) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> one_region(run_mutex_);
  // ~4 chunks per thread balances uneven rows.
  job_chunk_ = std::max(grain, (n + 4 * n_threads_ - 1) / (4 * n_threads_));
  job_ = &fn;
  job_n_ = n;
  next_ = 0;
  error_ = nullptr;
  failed_ = false;
  open_ = true;
  ++generation_;
  // A worker going to sleep counts itself in sleepers_ and then checks generation_; we bumped
  // generation_ and then read sleepers_ (all sequentially consistent): either it sees the new
  // generation and does not sleep, or we see it and wake it.
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  work_on_current_job();
  open_ = false;
  if (!spin_until([&] { return active_.load() == 0; })) {
    std::unique_lock<std::mutex> lock(done_mutex_);
    caller_waiting_ = true;
    done_.wait(lock, [&] { return active_.load() == 0; });
    caller_waiting_ = false;
  }
  job_ = nullptr;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

int physical_core_count() {
  std::set<std::pair<int, int>> cores;  // (package, core) pairs
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  int package = 0;
  while (std::getline(in, line)) {
    auto value = [&] { return std::stoi(line.substr(line.find(':') + 1)); };
    if (line.rfind("physical id", 0) == 0) package = value();
    if (line.rfind("core id", 0) == 0) cores.insert({package, value()});
  }
  int n = int(cores.size());
  if (n == 0) n = int(std::thread::hardware_concurrency());
  return std::max(1, n);
}

ThreadPoolScope::ThreadPoolScope(ThreadPool* pool) : previous_(tls_pool) { tls_pool = pool; }
ThreadPoolScope::~ThreadPoolScope() { tls_pool = previous_; }

ThreadPool* current_thread_pool() { return tls_pool; }

int64_t grain_per_thread(int64_t n) {
  const int64_t threads = tls_pool ? tls_pool->size() : 1;
  return std::max<int64_t>(1, (n + threads - 1) / threads);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (tls_pool) {
    tls_pool->run(n, grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace anymal
