#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"

using namespace anymal;

TEST(ThreadPool, CoversEveryIndexOnce) {
  ThreadPool pool(4);
  ThreadPoolScope scope(&pool);
  std::vector<std::atomic<int>> hits(10007);
  parallel_for(10007, 3, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) hits[size_t(i)]++;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, RethrowsTheFirstError) {
  ThreadPool pool(3);
  ThreadPoolScope scope(&pool);
  EXPECT_THROW(parallel_for(1000, 1,
                            [&](int64_t lo, int64_t) {
                              if (lo >= 500) throw_error(ErrorKind::invalid_input, "boom");
                            }),
               Error);
  std::atomic<int64_t> sum{0};  // still usable afterwards
  parallel_for(100, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) sum += i;
  });
  EXPECT_EQ(sum.load(), 4950);
}

TEST(ThreadPool, NestedRegionsRunInline) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  std::atomic<int64_t> total{0};
  parallel_for(8, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      parallel_for(10, 1, [&](int64_t a, int64_t b) { total += b - a; });
  });
  EXPECT_EQ(total.load(), 80);
}

TEST(ThreadPool, PhysicalCoresIsPositive) { EXPECT_GE(physical_core_count(), 1); }

// Regions back to back (workers still spinning from the last one, joining late or not at all),
// then after a pause long enough for them to fall asleep (the wake-up path), from two pools used
// by two caller threads at once: every index of every region exactly once, and a region never
// returns while a worker is still in it (its counters live on the caller's stack).
TEST(ThreadPool, ManyShortRegionsAcrossSleepAndWake) {
  ThreadPool a(3), b(2);
  auto hammer = [](ThreadPool* pool, int regions) {
    ThreadPoolScope scope(pool);
    for (int r = 0; r < regions; ++r) {
      std::vector<int> hits(size_t(1 + r % 37), 0);
      parallel_for(int64_t(hits.size()), 1, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) ++hits[size_t(i)];
      });
      for (int h : hits) ASSERT_EQ(h, 1);
    }
  };
  for (int round = 0; round < 3; ++round) {
    std::thread other([&] { hammer(&b, 20000); });
    hammer(&a, 20000);
    other.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
}
