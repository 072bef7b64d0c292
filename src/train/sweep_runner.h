// Running a sweep. Its directory holds:
//   sweep.json           the expanded runs and how to evaluate them (what `sweep run` reads)
//   results.db           the results (train/sweep_results.h)
//   runs/ID/recipe.json  the run's training recipe; runs/ID/train/ its run directory
//   runs/ID/log.txt      everything the run printed
//   runs/ID/result.json  what it measured, written last (atomically): a run with one is done
//
// Locally, every unfinished run becomes a process of its own (`anymal --threads T sweep run
// DIR ID`), at most `jobs` at once; a run that fails (an error, a crash, a kill) is recorded
// as failed with its log's tail and the sweep goes on. A killed sweep started again skips the
// finished runs (done or failed; failed ones again with retry_failed), and a run cut short
// resumes from its own checkpoints. Runs die with the sweep (no orphans left training).
// With Slurm, the unfinished runs become one job array, one task per run.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/sweep_config.h"
#include "train/sweep_results.h"

namespace anymal::train {

struct SweepOptions {
  std::string dir;            // the sweep directory
  int jobs = 1;               // runs at once
  int threads = 0;            // threads per run (0: the config's)
  bool retry_failed = false;  // run the failed runs again
  std::string binary;         // the anymal executable the runs start
};

// Writes sweep.json and the runs' recipes, adds the runs to the database, and imports any
// result.json the database lacks. Returns the runs still to do, in the config's order.
std::vector<std::string> prepare_sweep(const SweepConfig& c, const SweepOptions& o, ResultsDb& db);
// Runs them locally; returns how many failed. Throws invalid_input when another sweep holds
// the directory.
int run_sweep_local(const SweepConfig& c, const SweepOptions& o);
// One run in this process: trains (resuming from its checkpoints), evaluates, writes
// result.json and returns it.
nlohmann::json run_sweep_one(const std::string& dir, const std::string& id);
// Prepares the sweep (as run_local does, holding the directory) and writes DIR/sweep.sbatch, a
// Slurm job array over its unfinished runs (at most o.jobs tasks at once); returns its path.
std::string write_slurm_sweep(const SweepConfig& c, const SweepOptions& o);
// The job script over `ids`, written to DIR/sweep.sbatch; returns its path.
std::string write_slurm_script(const SweepConfig& c, const SweepOptions& o,
                               const std::vector<std::string>& ids);
// Reads runs/*/result.json into the database where it does not have them yet.
void import_results(const std::string& dir, ResultsDb& db);

}  // namespace anymal::train
