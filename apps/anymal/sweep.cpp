// anymal sweep CONFIG [--out DIR] [--jobs N] [--run-threads T] [--retry-failed]
//                     [--launcher local|slurm] [--no-submit]
// anymal sweep report DIR|DB [--plot PNG]
// anymal sweep run DIR ID          (one run; what the sweep's processes and Slurm tasks run)
// Experiments side by side: every run of a sweep config (train/sweep_config.h) trains, is
// evaluated and lands in DIR/results.db; a killed sweep started again skips finished runs.
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "core/error.h"
#include "train/sweep_report.h"
#include "train/sweep_runner.h"

extern char** environ;

namespace anymal::cli {

namespace {

namespace fs = std::filesystem;

void submit(const std::string& script) {
  std::vector<std::string> args = {"sbatch", script};
  std::vector<char*> argv = {args[0].data(), args[1].data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "sbatch", nullptr, nullptr, argv.data(), environ);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 127)
    throw_error(ErrorKind::invalid_input, "sbatch is not available here; the job array is in " +
                                              script + ": submit it on the cluster (sbatch " +
                                              script + ")");
  if (WEXITSTATUS(status) != 0)
    throw_error(ErrorKind::invalid_input, "sbatch refused " + script + " (status " +
                                              std::to_string(WEXITSTATUS(status)) + ")");
}

}  // namespace

Runner add_sweep_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("sweep", "run a sweep of training experiments in parallel");
  struct Args {
    std::string config, out, launcher = "local", run_dir, run_id, report, plot;
    int jobs = 1, run_threads = 0;
    bool retry_failed = false, no_submit = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("config", a->config, "sweep config (JSON)");
  cmd->add_option("--out", a->out, "sweep directory (default: runs/sweep-NAME)");
  cmd->add_option("--jobs", a->jobs, "runs at once (default 1)")->check(CLI::PositiveNumber);
  cmd->add_option("--run-threads", a->run_threads, "threads per run (default: the config's)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--retry-failed", a->retry_failed, "run the failed runs again");
  cmd->add_option("--launcher", a->launcher, "local (default) or slurm (a job array)")
      ->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_flag("--no-submit", a->no_submit, "slurm: write the job script, do not submit it");
  auto* run = cmd->add_subcommand("run", "one run of a sweep (the sweep's processes run this)");
  run->add_option("dir", a->run_dir, "sweep directory")->required();
  run->add_option("id", a->run_id, "run id")->required();
  auto* report = cmd->add_subcommand("report", "the results table and the Pareto plot");
  report->add_option("db", a->report, "results.db or the sweep directory")->required();
  report->add_option("--plot", a->plot, "plot PNG (default: pareto.png beside the database)");
  return [a, run, report] {
    if (run->parsed()) {
      train::run_sweep_one(a->run_dir, a->run_id);
      return 0;
    }
    if (report->parsed()) {
      const fs::path db_path =
          fs::is_directory(a->report) ? fs::path(a->report) / "results.db" : fs::path(a->report);
      if (!fs::exists(db_path))
        throw_error(ErrorKind::invalid_input, db_path.string() + ": no such results database");
      train::ResultsDb db(db_path.string());
      train::import_results(db_path.parent_path().string(), db);
      const auto rows = db.all();
      std::fputs(train::sweep_table(rows).c_str(), stdout);
      const std::string plot =
          a->plot.empty() ? (db_path.parent_path() / "pareto.png").string() : a->plot;
      train::plot_pareto(rows, plot);
      std::fprintf(stderr, "plot: %s\n", plot.c_str());
      return 0;
    }
    if (a->config.empty())
      throw_error(ErrorKind::invalid_input, "sweep needs a config (or run / report)");
    const train::SweepConfig c = train::SweepConfig::load(a->config);
    train::SweepOptions o;
    o.dir = a->out.empty() ? "runs/sweep-" + c.name : a->out;
    o.jobs = a->jobs;
    o.threads = a->run_threads;
    o.retry_failed = a->retry_failed;
    std::error_code ec;
    o.binary = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) throw_error(ErrorKind::io, "cannot find this executable (/proc/self/exe)");
    if (a->launcher == "slurm") {
      const std::string script = train::write_slurm_sweep(c, o);
      std::printf("wrote %s\n", script.c_str());
      if (!a->no_submit) submit(script);
      return 0;
    }
    const int failed = train::run_sweep_local(c, o);
    train::ResultsDb db((fs::path(o.dir) / "results.db").string());
    std::fputs(train::sweep_table(db.all(), false).c_str(), stdout);
    return failed ? 1 : 0;
  };
}

}  // namespace anymal::cli
