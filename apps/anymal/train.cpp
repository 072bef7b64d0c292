// anymal train CONFIG --out RUN_DIR [--resume]: runs a staged recipe (configs/*.json) and
// exports RUN_DIR/export/{model,mmproj}.gguf at the end. Checkpoints are written atomically;
// a killed run continues with --resume, bit for bit as if it had not stopped.
// Under mpirun / srun, every process trains data parallel (train/trainer.h), optionally with
// the training state sharded (--shard); an error on any process, or a collective that waits
// past --collective-timeout, ends the whole job with a message naming the rank and host.
#include <cstdio>
#include <fstream>
#include <iterator>

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
    std::string config, out, shard = "none", reduce = "f32", collectives = "mpi";
    bool resume = false, quiet = false;
    double bucket_mb = 25, timeout_s = 600;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("config", a->config, "recipe (configs/*.json)")->required();
  cmd->add_option("--out", a->out, "run directory (checkpoints, metrics, export)")->required();
  cmd->add_flag("--resume", a->resume, "continue from the run directory's newest checkpoint");
  cmd->add_flag("--quiet", a->quiet, "no progress line");
  cmd->add_option("--shard", a->shard,
                  "partition across processes: none, optimizer (ZeRO-1), gradients (ZeRO-2), "
                  "parameters (ZeRO-3)")
      ->check(CLI::IsMember({"none", "optimizer", "gradients", "parameters"}));
  cmd->add_option("--reduce-dtype", a->reduce, "gradient reduction in f32 or bf16")
      ->check(CLI::IsMember({"f32", "bf16"}));
  cmd->add_option("--bucket-mb", a->bucket_mb,
                  "gradient bucket size (reduction overlaps the backward pass; default 25)")
      ->check(CLI::Range(0.001, 4096.0));
  cmd->add_option("--collectives", a->collectives,
                  "mpi (default) or nccl: gradient and weight collectives through NCCL on each "
                  "rank's GPU")
      ->check(CLI::IsMember({"mpi", "nccl"}));
  cmd->add_option("--collective-timeout", a->timeout_s,
                  "seconds a process waits for the others before ending the job (default 600)")
      ->check(CLI::Range(1.0, 1e6));
  return [a] {
    const std::unique_ptr<train::Comm> comm = train::Comm::world();
    try {
      const train::RecipeConfig recipe = train::RecipeConfig::load(a->config);  // all checked
      train::TrainOptions opt;
      opt.resume = a->resume;
      opt.progress = !a->quiet;
      opt.comm = comm.get();
      opt.shard = train::parse_shard_level(a->shard);
      opt.bf16_reduce = a->reduce == "bf16";
      opt.bucket_bytes = std::max<int64_t>(4, int64_t(a->bucket_mb * 1048576.0));
      comm->set_timeout(a->timeout_s);
      if (comm->distributed()) {
        log_info("rank %d of %d on %s", comm->rank(), comm->size(), comm->host().c_str());
        // Ranks with another binary or other libraries are refused before anything runs.
        train::require_same_build(
            train::gather_ranks(*comm, current_thread_pool() ? current_thread_pool()->size() : 1));
        std::ifstream in(a->config, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        train::require_same_job(*comm, text + "\n" + a->shard + " " + a->reduce + " " +
                                           std::to_string(a->bucket_mb) + " " + a->collectives +
                                           " " + std::to_string(a->resume));
        if (a->collectives == "nccl") log_info("collectives: %s", comm->use_nccl().c_str());
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
