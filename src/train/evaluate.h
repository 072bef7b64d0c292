// Exact-match evaluation of a multimodal model on a dataset: each example's question is asked
// with its input (image, sound or motion) as `anymal ask` asks it (the model's template,
// greedy decoding through the inference engine), the answer trimmed and compared with the
// reference. Per task and overall, plus the
// examples that show a held-out (colour, class) pair.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/anymal/encoders.h"
#include "models/llm/llama.h"
#include "text/tokenizer.h"

namespace anymal::train {

struct Score {
  int64_t correct = 0, total = 0;
  double accuracy() const { return total ? double(correct) / double(total) : 0.0; }
};

struct EvalReport {
  std::map<std::string, Score> tasks;
  Score overall, heldout;
  std::vector<std::string> mistakes;  // up to 20 "task: question -> got (want)"
  std::string table() const;          // per-task table for the terminal
  nlohmann::json to_json() const;     // {"task": accuracy, ..., "overall": ..., "heldout": ...}
};

// Greedy answers of at most max_tokens tokens; limit > 0 evaluates the first `limit` examples.
EvalReport evaluate(const models::LlamaModel& lm, const text::Tokenizer& tok,
                    const models::Encoders& enc, const std::vector<data::Example>& examples,
                    int max_tokens = 32, int64_t limit = 0);

}  // namespace anymal::train
