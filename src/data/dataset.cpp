#include "data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"

namespace anymal::data {

namespace fs = std::filesystem;

int64_t DatasetReport::skipped_total() const {
  int64_t n = 0;
  for (const auto& [reason, count] : skipped) n += count;
  return n;
}

std::string DatasetReport::summary() const {
  std::string s = std::to_string(lines) + " lines, " + std::to_string(kept) + " kept";
  const char* sep = "; skipped: ";
  for (const auto& [reason, count] : skipped) {
    s.append(sep).append(std::to_string(count)).append(" ").append(reason);
    sep = ", ";
  }
  return s;
}

const std::string& Example::path_of(models::Modality m) const {
  static const std::string none;
  return m == models::Modality::image   ? image
         : m == models::Modality::audio ? audio
         : m == models::Modality::imu   ? imu
                                        : none;
}

bool Example::has(models::Modality m) const {
  return std::find(inputs.begin(), inputs.end(), m) != inputs.end();
}

namespace {

size_t count_of(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n\r"), b = s.find_last_not_of(" \t\n\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The example of one line, or the reason it is skipped.
std::string parse_line(const std::string& line, const fs::path& base,
                       const std::set<std::string>& known_tasks, Example& ex) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    return std::string(e.what()).find("UTF-8") != std::string::npos ? "non-UTF-8 text" : "bad JSON";
  }
  if (!j.is_object() || !j.contains("conversations") || !j["conversations"].is_array())
    return "no conversations";
  ex.id = j.value("id", "");
  ex.task = j.value("task", "");
  ex.heldout = j.value("heldout", false);
  if (!known_tasks.empty() && !known_tasks.count(ex.task)) return "unknown task";
  std::string pending;  // a later question waiting for its answer
  for (const auto& turn : j["conversations"]) {
    if (!turn.is_object() || !turn.contains("value") || !turn["value"].is_string())
      return "bad conversation turn";
    const std::string from = turn.value("from", ""), value = turn["value"].get<std::string>();
    if (from == "human" && ex.question.empty()) {
      ex.question = value;
    } else if (from == "gpt" && ex.answer.empty() && !ex.question.empty()) {
      ex.answer = value;
    } else if (from == "human" && !ex.answer.empty()) {
      pending = trim(value);
    } else if (from == "gpt" && !pending.empty()) {
      ex.follow_ups.emplace_back(pending, trim(value));
      pending.clear();
    }
  }
  for (const auto& [q, a] : ex.follow_ups)
    for (models::Modality m :
         {models::Modality::image, models::Modality::audio, models::Modality::imu})
      if (q.find(models::modality_marker(m)) != std::string::npos || a.empty())
        return "bad follow-up turn (empty, or an input marker after the first)";
  // Inputs: the key that names each file and the marker that places it, in marker order.
  std::vector<std::pair<size_t, models::Modality>> order;
  for (models::Modality m :
       {models::Modality::image, models::Modality::audio, models::Modality::imu}) {
    const std::string key = models::modality_name(m), marker = models::modality_marker(m);
    const size_t markers = count_of(ex.question, marker);
    const bool has = j.contains(key) && j[key].is_string();
    if (markers != (has ? 1u : 0u)) return marker + " count not matching " + key + " files";
    if (!has) continue;
    const fs::path p = base / j[key].get<std::string>();
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return "missing " + key;
    (m == models::Modality::image   ? ex.image
     : m == models::Modality::audio ? ex.audio
                                    : ex.imu) = p.string();
    order.emplace_back(ex.question.find(marker), m);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [at, m] : order) ex.inputs.push_back(m);
  for (models::Modality m : ex.inputs) {
    const std::string marker = models::modality_marker(m);
    const size_t at = ex.question.find(marker);
    ex.question = ex.question.substr(0, at) + ex.question.substr(at + marker.size());
  }
  if (j.contains("transcript") && j["transcript"].is_string())
    ex.transcript = j["transcript"].get<std::string>();
  ex.question = trim(ex.question);
  ex.answer = trim(ex.answer);
  if ((ex.question.empty() && !ex.has(models::Modality::audio)) || ex.answer.empty())
    return "empty question or answer";
  return "";
}

}  // namespace

std::vector<Example> read_llava_jsonl(const std::string& path,
                                      const std::set<std::string>& known_tasks,
                                      DatasetReport& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorKind::io, "cannot read dataset " + path);
  const fs::path base = fs::path(path).parent_path();
  report = DatasetReport();
  std::vector<Example> out;
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    ++report.lines;
    Example ex;
    const std::string why = parse_line(line, base, known_tasks, ex);
    if (why.empty()) {
      out.push_back(std::move(ex));
      ++report.kept;
    } else {
      ++report.skipped[why];
    }
  }
  if (report.skipped_total() > 0) log_warn("%s: %s", path.c_str(), report.summary().c_str());
  if (report.kept == 0)
    throw_error(ErrorKind::invalid_input, path + ": no usable examples (" + report.summary() + ")");
  if (report.skipped_total() * 100 > report.lines)
    throw_error(ErrorKind::invalid_input,
                path + ": more than 1% of the lines are bad (" + report.summary() + ")");
  return out;
}

}  // namespace anymal::data
