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
  // The current region. Its fields are written before open_ is set; a thread counts itself in
  // active_ before it looks at open_, so the caller, which clears open_ and then waits for
  // active_ to drain, never returns while a thread may still claim a chunk of it. Chunks are
  // claimed from next_ without a lock. Each hot atomic has a cache line of its own: the workers
  // poll generation_ while the caller claims chunks.
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0, job_chunk_ = 1;
  alignas(64) std::atomic<int64_t> next_ = 0;
  alignas(64) std::atomic<bool> open_ = false;
  alignas(64) std::atomic<int> active_ = 0;
  alignas(64) std::atomic<uint64_t> generation_ =
      0;  // bumped per region: what idle workers wait for
  std::atomic<bool> stop_ = false;
  // Workers that stopped spinning sleep on wake_; the caller notifies only when there are some.
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_ = 0;
  // The caller, when the workers take long (descheduled: more threads than cores), blocks on
  // done_ instead of spinning; the worker that leaves last wakes it.
  std::mutex done_mutex_;
  std::condition_variable done_;
  std::atomic<bool> caller_waiting_ = false;
  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_ = false;
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

// The grain that splits n items into one chunk per thread of the current pool. For regions of
// a few µs (a small model's decode step): the threads claim chunks from one counter whose cache
// line moves between cores at every claim (~0.1 µs on a VM), and the pool's default of ~4
// chunks per thread, meant to balance uneven work, costs more than it balances there.
int64_t grain_per_thread(int64_t n);

}  // namespace anymal
