// ThreadPool: a fixed set of workers running parallel_for over index ranges.
//
// Kernels call parallel_for(n, grain, fn), which runs on the pool installed for the calling
// thread by a ThreadPoolScope (the CLI installs one sized by --threads), or serially when none
// is installed. Nested calls from inside a worker run serially. The caller thread takes part.
// Idle workers and the waiting caller spin briefly before sleeping: decoding a token runs
// hundreds of regions of tens of microseconds each, shorter than a futex sleep and wake.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace anymal {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // total threads including the caller; >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Runs fn(begin, end) over [0, n) in chunks of at least `grain`; returns when all are done.
  // The first exception thrown by any chunk is rethrown here.
  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();
  void work_on_current_job();

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel region at a time per pool
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0, job_chunk_ = 1, next_ = 0;
  // Written under mutex_; atomic so that waiters can spin on them before sleeping.
  std::atomic<int> active_ = 0;
  std::atomic<uint64_t> generation_ = 0;
  std::atomic<bool> stop_ = false;
  std::exception_ptr error_;
};

// The number of physical cores (not hyper-threads); at least 1.
int physical_core_count();

// Installs `pool` as the current thread's pool for the scope's lifetime.
class ThreadPoolScope {
 public:
  explicit ThreadPoolScope(ThreadPool* pool);
  ~ThreadPoolScope();

 private:
  ThreadPool* previous_;
};

ThreadPool* current_thread_pool();

// Runs fn(begin, end) over [0, n) on the current pool (or inline).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace anymal
