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

template <class Done>
void spin_until(Done done) {
  for (int i = 0; i < kSpinIterations && !done(); ++i) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work_on_current_job() {
  tls_in_parallel = true;
  for (;;) {
    int64_t begin;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= job_n_ || error_) break;
      begin = next_;
      next_ += job_chunk_;
    }
    int64_t end = std::min(job_n_, begin + job_chunk_);
    try {
      (*job_)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
  tls_in_parallel = false;
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] { return stop_.load() || generation_.load() != seen; });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      ++active_;
    }
    work_on_current_job();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_all();
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
  // ~4 chunks per thread balances uneven rows without much locking.
  std::lock_guard<std::mutex> one_region(run_mutex_);
  int64_t chunk = std::max(grain, (n + 4 * n_threads_ - 1) / (4 * n_threads_));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    job_chunk_ = chunk;
    next_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  work_on_current_job();
  spin_until([&] { return active_.load() == 0; });
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0; });
    job_ = nullptr;
    err = std::exchange(error_, nullptr);
  }
  if (err) std::rethrow_exception(err);
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

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (tls_pool) {
    tls_pool->run(n, grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace anymal
