// anymal train CONFIG --out RUN_DIR [--resume]: runs a staged recipe (configs/*.json) and
// exports RUN_DIR/export/{model,mmproj}.gguf at the end. Checkpoints are written atomically;
// a killed run continues with --resume, bit for bit as if it had not stopped.
// Under mpirun / srun, every process trains data parallel (train/trainer.h); an error on any
// process ends the whole job with a message naming the rank and host.
#include <cstdio>

#include "commands.h"
#include "core/log.h"
#include "core/thread_pool.h"
#include "train/comm.h"
#include "train/job_check.h"
#include "train/recipe.h"
#include "train/trainer.h"

namespace anymal::cli {

Runner add_train_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("train", "train a model with a staged recipe (JSON config)");
  struct Args {
    std::string config, out;
    bool resume = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("config", a->config, "recipe (configs/*.json)")->required();
  cmd->add_option("--out", a->out, "run directory (checkpoints, metrics, export)")->required();
  cmd->add_flag("--resume", a->resume, "continue from the run directory's newest checkpoint");
  cmd->add_flag("--quiet", a->quiet, "no progress line");
  return [a] {
    const std::unique_ptr<train::Comm> comm = train::Comm::world();
    try {
      const train::RecipeConfig recipe = train::RecipeConfig::load(a->config);  // all checked
      train::TrainOptions opt;
      opt.resume = a->resume;
      opt.progress = !a->quiet;
      opt.comm = comm.get();
      if (comm->distributed()) {
        log_info("rank %d of %d on %s", comm->rank(), comm->size(), comm->host().c_str());
        // Ranks with another binary or other libraries are refused before anything runs.
        train::require_same_build(
            train::gather_ranks(*comm, current_thread_pool() ? current_thread_pool()->size() : 1));
      }
      train::run_recipe(recipe, a->out, opt);
    } catch (const std::exception& e) {
      if (comm->distributed()) comm->abort(2, e.what());  // never leave the others waiting
      throw;
    }
    return 0;
  };
}

}  // namespace anymal::cli
