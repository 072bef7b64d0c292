#include "serve/metrics.h"

#include <cstdio>

namespace anymal::serve {

void Metrics::Histogram::observe(double seconds) {
  for (size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++buckets[i];
  ++count;
  sum += seconds;
}

void Metrics::request_done(const std::string& endpoint, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
}

void Metrics::tokens(int64_t prompt, int64_t completion) {
  std::lock_guard lock(mutex_);
  prompt_tokens_ += uint64_t(prompt);
  completion_tokens_ += uint64_t(completion);
}

void Metrics::request_latency(double seconds) {
  std::lock_guard lock(mutex_);
  latency_.observe(seconds);
}

void Metrics::time_to_first_token(double seconds) {
  std::lock_guard lock(mutex_);
  ttft_.observe(seconds);
}

void Metrics::set_queue(int64_t queued, int64_t active) {
  std::lock_guard lock(mutex_);
  queued_ = queued;
  active_ = active;
}

void Metrics::batch_step(int64_t rows) {
  std::lock_guard lock(mutex_);
  ++steps_;
  step_rows_ += uint64_t(rows);
}

namespace {

void histogram_text(std::string& out, const char* name, const char* help,
                    const Metrics::Histogram& h) {
  char line[160];
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (size_t i = 0; i < h.kBounds.size(); ++i) {
    std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name, h.kBounds[i],
                  (unsigned long long)h.buckets[i]);
    out += line;
  }
  std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                name, (unsigned long long)h.count, name, h.sum, name, (unsigned long long)h.count);
  out += line;
}

void scalar_text(std::string& out, const char* name, const char* type, const char* help,
                 double value) {
  char line[64];
  std::snprintf(line, sizeof line, " %.17g\n", value);
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + line;
}

}  // namespace

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mutex_);
  std::string out =
      "# HELP anymal_requests_total HTTP requests answered, by endpoint and status.\n"
      "# TYPE anymal_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += "anymal_requests_total{endpoint=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  scalar_text(out, "anymal_prompt_tokens_total", "counter",
              "Prompt positions evaluated (images included).", double(prompt_tokens_));
  scalar_text(out, "anymal_completion_tokens_total", "counter", "Tokens generated.",
              double(completion_tokens_));
  scalar_text(out, "anymal_queue_depth", "gauge", "Requests waiting for a slot.", double(queued_));
  scalar_text(out, "anymal_active_sequences", "gauge", "Requests in the running batch.",
              double(active_));
  scalar_text(out, "anymal_batch_steps_total", "counter", "Batched forward passes.",
              double(steps_));
  scalar_text(out, "anymal_batch_rows_total", "counter",
              "Rows (positions) evaluated by batched forward passes.", double(step_rows_));
  histogram_text(out, "anymal_request_duration_seconds",
                 "Time from a completion request's arrival to its last token.", latency_);
  histogram_text(out, "anymal_time_to_first_token_seconds",
                 "Time from a completion request's arrival to its first token.", ttft_);
  return out;
}

}  // namespace anymal::serve
