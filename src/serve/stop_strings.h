// OpenAI `stop` sequences over streamed text: generated text is let through as soon as no stop
// string can still begin in it, and the reply ends before the first stop string (which is not
// sent). A stop string split across tokens is caught, because a tail that could be the start
// of one is held back until the next piece decides it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace anymal::serve {

class StopStrings {
 public:
  explicit StopStrings(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Adds generated text; returns what can be sent now. After a stop string is seen, returns
  // the text before it and stopped() is true (further pushes return nothing).
  std::string push(std::string_view text);
  bool stopped() const { return stopped_; }
  // At the end of generation: the held-back tail (no stop string completed).
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace anymal::serve
