// Multimodal datasets in the LLaVA conversation format: one JSON object per line with
// "image" (a path relative to the file) or, for AnyMAL's other modalities, "audio" (a sound
// file) or "imu" (a motion CSV), optional "task" and "id", and "conversations": the first human
// turn (holding the one "<image>", "<audio>" or "<imu>" marker) and the first gpt turn become a
// question/answer pair. Bad lines (not JSON or not UTF-8, a missing input file, an unknown
// task, a marker count other than one, an empty question or answer) are skipped and counted
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
  std::string image, audio, imu;  // resolved paths; at most one is set (none: text only)
  bool heldout = false;
  models::Modality media() const;
  const std::string& media_path() const;  // the set one, or ""
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
