#include "serve/completion.h"

#include <algorithm>

namespace anymal::serve {

const char* finish_reason_name(FinishReason r) {
  return r == FinishReason::stop ? "stop" : "length";
}

Completion::Update Completion::next(Clock::time_point until, Clock::time_point not_before) {
  std::unique_lock lock(mutex_);
  wake_after_ = not_before;
  cv_.wait_until(lock, std::min(until, not_before), [&] { return done_; });
  cv_.wait_until(lock, until, [&] { return done_ || !pending_.empty(); });
  Update u;
  u.text.swap(pending_);
  u.done = done_;
  return u;
}

void Completion::append(const std::string& text) {
  if (text.empty()) return;
  bool wake;
  {
    std::lock_guard lock(mutex_);
    pending_ += text;
    wake = Clock::now() >= wake_after_;
  }
  if (wake) cv_.notify_all();
}

void Completion::finish(FinishReason reason, Usage usage) {
  {
    std::lock_guard lock(mutex_);
    finish_ = reason;
    usage_ = usage;
    done_ = true;
  }
  cv_.notify_all();
}

void Completion::fail(ApiError error) {
  {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
    done_ = true;
  }
  cv_.notify_all();
}

}  // namespace anymal::serve
