// A sweep's results in SQLite (one table, `runs`): what each run is (id, values, family),
// its state (pending, running, done, failed) and, when done, what it measured: per-task and
// overall accuracy, final loss, tokens/s, wall time, parameters, training FLOPs; when failed,
// the tail of its log. Each run also keeps its result in runs/ID/result.json, so a lost or
// corrupt database is rebuilt from the run directories (import_results), no result lost.
// Writers wait up to busy_ms (10 s by default) for a lock; a database still locked, or not a
// database at all, is an invalid_input error that says what to do.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace anymal::train {

struct RunRow {
  std::string id, family, status;  // status: pending, running, done, failed
  nlohmann::json params, result;   // result: the run's result.json (done) or {} otherwise
  std::string error;               // failed: why, with the log's tail
};

class ResultsDb {
 public:
  // Creates the file and table when new.
  explicit ResultsDb(const std::string& path, int busy_ms = 10000);
  ~ResultsDb();
  ResultsDb(const ResultsDb&) = delete;
  ResultsDb& operator=(const ResultsDb&) = delete;

  // Adds the run as pending unless the database has it already.
  void add(const std::string& id, const std::string& family, const nlohmann::json& params);
  void set_running(const std::string& id);
  void set_done(const std::string& id, const nlohmann::json& result);
  void set_failed(const std::string& id, const std::string& error);
  std::optional<RunRow> get(const std::string& id) const;
  std::vector<RunRow> all() const;  // in the order added

 private:
  void open(int busy_ms);
  void exec(const std::string& sql, const std::vector<std::string>& args = {}) const;
  [[noreturn]] void fail(const std::string& what) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace anymal::train
