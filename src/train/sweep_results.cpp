#include "train/sweep_results.h"

#include <sqlite3.h>

#include <chrono>

#include "core/error.h"

namespace anymal::train {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ResultsDb::ResultsDb(const std::string& path, int busy_ms) : path_(path) {
  try {
    open(busy_ms);
  } catch (...) {  // the destructor will not run: close the handle here
    sqlite3_close(db_);
    throw;
  }
}

void ResultsDb::open(int busy_ms) {
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    fail("cannot open");
  sqlite3_busy_timeout(db_, busy_ms);
  exec(
      "CREATE TABLE IF NOT EXISTS runs ("
      " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, family TEXT NOT NULL,"
      " params TEXT NOT NULL, status TEXT NOT NULL, updated REAL NOT NULL,"
      " result TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL DEFAULT '')");
  // A truncated or overwritten file passes the statement above on some damage; this does not.
  exec("SELECT count(*) FROM runs");
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

void ResultsDb::fail(const std::string& what) const {
  const int code = db_ ? sqlite3_errcode(db_) : SQLITE_ERROR;
  std::string msg = path_ + ": " + what + " (" + (db_ ? sqlite3_errmsg(db_) : "no handle") + ")";
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    msg += ": another process (a sweep, a report) holds the database; wait for it or stop it";
  else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    msg +=
        ": the results database is damaged; move it aside and run the sweep again: every "
        "finished run's result.json is re-imported and nothing is retrained";
  throw_error(ErrorKind::invalid_input, msg);
}

void ResultsDb::exec(const std::string& sql, const std::vector<std::string>& args) const {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) fail("query failed");
  for (size_t i = 0; i < args.size(); ++i)
    sqlite3_bind_text(st, int(i) + 1, args[i].c_str(), -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("query failed");
}

void ResultsDb::add(const std::string& id, const std::string& family,
                    const nlohmann::json& params) {
  exec("INSERT OR IGNORE INTO runs (id, family, params, status, updated) VALUES (?, ?, ?, ?, ?)",
       {id, family, params.dump(), "pending", std::to_string(now_seconds())});
}

void ResultsDb::set_running(const std::string& id) {
  exec("UPDATE runs SET status = 'running', error = '', updated = ? WHERE id = ?",
       {std::to_string(now_seconds()), id});
}

void ResultsDb::set_done(const std::string& id, const nlohmann::json& result) {
  exec("UPDATE runs SET status = 'done', result = ?, error = '', updated = ? WHERE id = ?",
       {result.dump(), std::to_string(now_seconds()), id});
}

void ResultsDb::set_failed(const std::string& id, const std::string& error) {
  exec("UPDATE runs SET status = 'failed', error = ?, updated = ? WHERE id = ?",
       {error, std::to_string(now_seconds()), id});
}

std::vector<RunRow> ResultsDb::all() const {
  std::vector<RunRow> rows;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT id, family, params, status, result, error FROM runs ORDER BY seq",
                         -1, &st, nullptr) != SQLITE_OK)
    fail("cannot read the runs");
  int rc;
  auto text = [&](int col) {
    const unsigned char* t = sqlite3_column_text(st, col);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    RunRow r;
    r.id = text(0);
    r.family = text(1);
    r.params = nlohmann::json::parse(text(2), nullptr, false);
    r.status = text(3);
    r.result = nlohmann::json::parse(text(4), nullptr, false);
    r.error = text(5);
    if (r.params.is_discarded() || r.result.is_discarded()) {
      sqlite3_finalize(st);
      throw_error(ErrorKind::invalid_input,
                  path_ + ": run " + r.id + " holds unreadable JSON: the database is damaged");
    }
    rows.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("cannot read the runs");
  return rows;
}

std::optional<RunRow> ResultsDb::get(const std::string& id) const {
  for (RunRow& r : all())
    if (r.id == id) return r;
  return std::nullopt;
}

}  // namespace anymal::train
