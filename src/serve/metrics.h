// The server's counters, gauges and latency histograms, rendered in the Prometheus text
// exposition format for GET /metrics. Thread-safe; updates are a lock and a few adds.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace anymal::serve {

class Metrics {
 public:
  // Cumulative-bucket histogram of seconds.
  struct Histogram {
    static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                       0.5,   1,    2.5,   5,    10,  30};
    std::array<uint64_t, kBounds.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
    void observe(double seconds);
  };

  void request_done(const std::string& endpoint, int status);
  void tokens(int64_t prompt, int64_t completion);
  void request_latency(double seconds);
  void time_to_first_token(double seconds);
  void set_queue(int64_t queued, int64_t active);
  void batch_step(int64_t rows);

  std::string prometheus_text() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t prompt_tokens_ = 0, completion_tokens_ = 0, steps_ = 0, step_rows_ = 0;
  int64_t queued_ = 0, active_ = 0;
  Histogram latency_, ttft_;
};

}  // namespace anymal::serve
