// Multimodal datasets in the LLaVA conversation format: one JSON object per line with
// "image" (a path relative to the file) and, for AnyMAL's other modalities, "audio" (a sound
// file) and "imu" (a motion CSV), each at most once; optional "task", "id" and "transcript"
// (the words of a spoken question); and "conversations": the first human turn (holding one
// "<image>", "<audio>" or "<imu>" marker per input) and the first gpt turn become a question/
// answer pair (the question may be empty when it is spoken). Bad lines (not JSON or not UTF-8,
// a missing input file, an unknown task, a marker count other than the inputs', an empty
// answer, or an empty question without audio) are skipped and counted
// by reason; more than 1% of them is an error, since that means a broken dataset rather than
// a few bad rows.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/anymal/media.h"

namespace anymal::data {

struct Example {
  std::string id, task, question, answer;
  // Later turns of the conversation about the same inputs: (question, answer), text only.
  std::vector<std::pair<std::string, std::string>> follow_ups;
  std::string image, audio, imu;         // resolved paths ("" when absent)
  std::vector<models::Modality> inputs;  // those present, in the order their markers stood
  std::string transcript;  // what a spoken question says ("transcript"), for contrastive stages
  bool heldout = false;
  const std::string& path_of(models::Modality m) const;
  bool has(models::Modality m) const;
};

struct DatasetReport {
  int64_t lines = 0, kept = 0;
  std::map<std::string, int64_t> skipped;  // reason -> count
  int64_t skipped_total() const;
  std::string summary() const;  // "1000 lines, 998 kept; skipped: 2 missing image"
};

// known_tasks empty: any task accepted. Throws invalid_input naming the file when it cannot be
// read, holds no usable line, or more than 1% of its lines are bad.
std::vector<Example> read_llava_jsonl(const std::string& path,
                                      const std::set<std::string>& known_tasks,
                                      DatasetReport& report);

}  // namespace anymal::data
