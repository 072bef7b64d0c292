// One request's reply as the engine produces it and an HTTP thread consumes it: text arrives
// piece by piece, then the end (finish reason and usage) or an error. The consumer may cancel
// (its client went away); the engine then frees the request's slot at its next step.
// Thread-safe: one producer (the engine), one consumer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "serve/api_error.h"

namespace anymal::serve {

using Clock = std::chrono::steady_clock;

struct Usage {
  int64_t prompt_tokens = 0;  // positions, images included
  int64_t completion_tokens = 0;
};

enum class FinishReason { stop, length };
const char* finish_reason_name(FinishReason r);

class Completion {
 public:
  // What the consumer gets from next().
  struct Update {
    std::string text;   // new text since the last call (may be empty)
    bool done = false;  // nothing more will come
  };
  // Waits until there is new text or the end, or until `until`; returns what there is. Text
  // that arrives before `not_before` does not wake the consumer (the end does): a stream
  // consumer reads at most every few ms, a non-streaming one (not_before = until) only at the
  // end, instead of a wake-up per token.
  Update next(Clock::time_point until, Clock::time_point not_before = {});
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

  // After next() returned done:
  FinishReason finish_reason() const { return finish_; }
  Usage usage() const { return usage_; }
  const std::optional<ApiError>& error() const { return error_; }

  // The engine's side.
  void append(const std::string& text);
  void finish(FinishReason reason, Usage usage);
  void fail(ApiError error);

  const Clock::time_point submitted = Clock::now();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string pending_;
  Clock::time_point wake_after_;  // append() notifies from then on
  bool done_ = false;
  FinishReason finish_ = FinishReason::stop;
  Usage usage_;
  std::optional<ApiError> error_;
  std::atomic<bool> cancelled_ = false;
};

}  // namespace anymal::serve
