#include "train/sweep_runner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "data/dataset.h"
#include "models/anymal/encoders.h"
#include "models/llm/llama.h"
#include "text/hf_tokenizer.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/recipe.h"
#include "train/trainer.h"

extern char** environ;

namespace anymal::train {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

fs::path run_dir(const std::string& dir, const std::string& id) {
  return fs::path(dir) / "runs" / id;
}

// An exclusive advisory lock held while the object lives (released by the kernel if the
// process dies). Throws invalid_input with `busy` when another process holds it.
class FileLock {
 public:
  FileLock(const fs::path& path, const std::string& busy) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw_error(ErrorKind::io, path.string() + ": cannot open (" + std::strerror(errno) + ")");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw_error(ErrorKind::invalid_input, busy);
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

std::string tail_of(const fs::path& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log)";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - std::streamoff(n)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<nlohmann::json> read_result(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("accuracy")) return std::nullopt;
  return j;
}

// What a run's metrics.jsonl says: the training FLOPs, the final loss, the median tokens/s
// of the last stage, the parameter counts.
nlohmann::json training_figures(const fs::path& metrics) {
  std::ifstream in(metrics);
  std::string line;
  double flops = 0, loss = 0;
  int64_t last_stage = -1, parameters = 0, trainable = 0;
  std::vector<double> speeds;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("stage")) continue;
    flops += j.value("flops", 0.0);
    loss = j.value("loss", 0.0);
    parameters = j.value("parameters", int64_t(0));
    trainable = j.value("trainable", int64_t(0));
    if (j["stage"].get<int64_t>() != last_stage) speeds.clear();
    last_stage = j["stage"];
    speeds.push_back(j.value("tokens_per_s", 0.0));
  }
  std::sort(speeds.begin(), speeds.end());
  return {{"train_flops", flops},
          {"final_loss", loss},
          {"tokens_per_s", speeds.empty() ? 0.0 : speeds[speeds.size() / 2]},
          {"parameters", parameters},
          {"trainable", trainable}};
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// Starts `binary --threads T sweep run DIR ID` with stdout and stderr appended to the run's
// log; the child dies with this process (PR_SET_PDEATHSIG).
pid_t start_run(const SweepOptions& o, int threads, const std::string& id) {
  const std::string log = (run_dir(o.dir, id) / "log.txt").string();
  std::vector<std::string> args = {o.binary, "--threads", std::to_string(threads), "sweep", "run",
                                   o.dir,    id};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw_error(ErrorKind::io, log + ": cannot open (" + std::strerror(errno) + ")");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw_error(ErrorKind::io, std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

std::string exit_reason(int status) {
  if (WIFSIGNALED(status))
    return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

}  // namespace

void import_results(const std::string& dir, ResultsDb& db) {
  for (const RunRow& r : db.all()) {
    if (r.status == "done") continue;
    if (auto res = read_result(run_dir(dir, r.id) / "result.json")) db.set_done(r.id, *res);
  }
}

std::vector<std::string> prepare_sweep(const SweepConfig& c, const SweepOptions& o, ResultsDb& db) {
  nlohmann::json runs = nlohmann::json::array();
  for (const RunSpec& r : c.runs) {
    const fs::path d = run_dir(o.dir, r.id);
    fs::create_directories(d);
    write_file_atomic((d / "recipe.json").string(), r.recipe.dump(1) + "\n");
    runs.push_back({{"id", r.id}, {"family", r.family_kind()}, {"params", r.params}});
    db.add(r.id, r.family_kind(), r.params);
  }
  const nlohmann::json sweep = {{"name", c.name},
                                {"config", fs::absolute(c.path).string()},
                                {"eval_data", c.eval_data},
                                {"eval_limit", c.eval_limit},
                                {"runs", runs}};
  write_file_atomic((fs::path(o.dir) / "sweep.json").string(), sweep.dump(1) + "\n");
  import_results(o.dir, db);
  std::vector<std::string> todo;
  for (const RunSpec& r : c.runs) {
    const RunRow row = *db.get(r.id);
    if (row.status == "done" || (row.status == "failed" && !o.retry_failed)) continue;
    todo.push_back(r.id);
  }
  return todo;
}

namespace {

FileLock lock_sweep_dir(const std::string& dir) {
  fs::create_directories(dir);
  return FileLock(fs::path(dir) / "sweep.lock",
                  dir + ": another `anymal sweep` is running in this directory");
}

}  // namespace

std::string write_slurm_sweep(const SweepConfig& c, const SweepOptions& o) {
  const FileLock lock = lock_sweep_dir(o.dir);
  ResultsDb db((fs::path(o.dir) / "results.db").string());
  return write_slurm_script(c, o, prepare_sweep(c, o, db));
}

int run_sweep_local(const SweepConfig& c, const SweepOptions& o) {
  const FileLock lock = lock_sweep_dir(o.dir);
  ResultsDb db((fs::path(o.dir) / "results.db").string());
  const std::vector<std::string> todo = prepare_sweep(c, o, db);
  const int threads = o.threads > 0 ? o.threads : c.threads;
  const size_t finished = c.runs.size() - todo.size();
  log_info("sweep %s: %zu runs, %zu finished before, %zu to run, %d at once (%d threads each)",
           c.name.c_str(), c.runs.size(), finished, todo.size(), o.jobs, threads);
  std::map<pid_t, std::pair<std::string, Clock::time_point>> running;
  size_t next = 0, done = 0;
  int failed = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && int(running.size()) < std::max(1, o.jobs)) {
      const std::string& id = todo[next++];
      db.set_running(id);
      running[start_run(o, threads, id)] = {id, Clock::now()};
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw_error(ErrorKind::io, std::string("waitpid failed: ") + std::strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const auto [id, started] = it->second;
    running.erase(it);
    ++done;
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    const fs::path d = run_dir(o.dir, id);
    const auto result = read_result(d / "result.json");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && result) {
      db.set_done(id, *result);
      log_info("[%zu/%zu] %s: accuracy %.1f%%, %.0f s", finished + done, c.runs.size(), id.c_str(),
               100 * result->value("accuracy", 0.0), secs);
    } else {
      ++failed;
      db.set_failed(id, exit_reason(status) + " after " + std::to_string(int(secs)) + " s; log (" +
                            (d / "log.txt").string() + ") ends:\n" + tail_of(d / "log.txt", 1500));
      log_warn("[%zu/%zu] %s failed (%s); the sweep goes on", finished + done, c.runs.size(),
               id.c_str(), exit_reason(status).c_str());
    }
  }
  return failed;
}

nlohmann::json run_sweep_one(const std::string& dir, const std::string& id) {
  const auto t0 = Clock::now();
  const fs::path d = run_dir(dir, id);
  if (!fs::exists(d / "recipe.json"))
    throw_error(ErrorKind::invalid_input,
                dir + " has no run " + id + " (runs/" + id + "/recipe.json)");
  FileLock lock(d / "lock", "run " + id + " is already running in another process");
  const nlohmann::json sweep = text::read_json_file((fs::path(dir) / "sweep.json").string());
  nlohmann::json params;
  for (const auto& r : sweep.at("runs"))
    if (r.at("id") == id) params = r.at("params");
  if (params.is_null())
    throw_error(ErrorKind::invalid_input, dir + "/sweep.json does not list run " + id);
  const fs::path train_dir = d / "train";
  const train::RecipeConfig recipe = train::RecipeConfig::from_json(
      text::read_json_file((d / "recipe.json").string()), (d / "recipe.json").string());
  train::TrainOptions opt;
  opt.progress = false;
  opt.resume = !train::list_checkpoints(train_dir.string()).empty();
  if (opt.resume) log_info("run %s resumes from its checkpoints", id.c_str());
  train::run_recipe(recipe, train_dir.string(), opt);
  const double train_s = std::chrono::duration<double>(Clock::now() - t0).count();

  auto lm = models::LlamaModel::load((train_dir / "export" / "model.gguf").string());
  auto tok = text::Tokenizer::from_gguf(lm->file());
  const models::Encoders enc =
      models::Encoders::load((train_dir / "export" / "mmproj.gguf").string(), lm->config().n_embd);
  lm->set_cross_attention(enc.xattn);
  data::DatasetReport report;
  const std::vector<data::Example> test =
      data::read_llava_jsonl(sweep.at("eval_data").get<std::string>(), {}, report);
  const train::EvalReport eval =
      train::evaluate(*lm, *tok, enc, test, 32, sweep.at("eval_limit").get<int64_t>());
  std::fputs(eval.table().c_str(), stdout);

  nlohmann::json result = training_figures(train_dir / "metrics.jsonl");
  result["id"] = id;
  result["params"] = params;
  result["accuracy"] = eval.overall.accuracy();
  result["tasks"] = eval.to_json();
  if (eval.heldout.total) result["heldout"] = eval.heldout.accuracy();
  result["eval_examples"] = eval.overall.total;
  result["train_s"] = train_s;
  result["wall_s"] = std::chrono::duration<double>(Clock::now() - t0).count();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  result["host"] = host;
  write_file_atomic((d / "result.json").string(), result.dump(1) + "\n");
  return result;
}

std::string write_slurm_script(const SweepConfig& c, const SweepOptions& o,
                               const std::vector<std::string>& ids) {
  if (ids.empty()) throw_error(ErrorKind::invalid_input, "every run of the sweep is finished");
  const int threads = o.threads > 0 ? o.threads : c.threads;
  const std::string dir = fs::absolute(o.dir).string();
  std::string s = "#!/bin/bash\n";
  s += "# anymal sweep " + c.name + ": one Slurm array task per unfinished run (" +
       std::to_string(ids.size()) + " of " + std::to_string(c.runs.size()) + ").\n";
  s += "# Each task trains, evaluates and writes runs/ID/result.json; `anymal sweep report " + dir +
       "/results.db` gathers them. Resubmit to redo unfinished runs: a run resumes from\n"
       "# its checkpoints.\n";
  s += "#SBATCH --job-name=anymal-" + c.name + "\n";
  s += "#SBATCH --array=0-" + std::to_string(ids.size() - 1) + "%" +
       std::to_string(std::max(1, o.jobs)) + "\n";
  s += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=" + std::to_string(threads) + "\n";
  s += "#SBATCH --output=" + dir + "/runs/slurm-%A_%a.out\n";
  s += "set -euo pipefail\nruns=(";
  for (const std::string& id : ids) s += "\n  " + shell_quote(id);
  s += "\n)\nid=${runs[$SLURM_ARRAY_TASK_ID]}\n";
  s += "exec " + shell_quote(fs::absolute(o.binary).string()) + " --threads " +
       std::to_string(threads) + " sweep run " + shell_quote(dir) + " \"$id\" >> " +
       shell_quote(dir) + "/runs/\"$id\"/log.txt 2>&1\n";
  const std::string path = (fs::path(o.dir) / "sweep.sbatch").string();
  write_file_atomic(path, s);
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  return path;
}

}  // namespace anymal::train
