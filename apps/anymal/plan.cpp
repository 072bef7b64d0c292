// anymal plan (--model 1b|8b|70b | --params N) [--ranks N] [--trainable N] [--precision
// mixed|f32]: memory per rank for weights, gradients and optimizer state under each sharding
// level (train/memory_plan.h), the table of docs/scale-out.md. Activations are extra.
#include <cstdio>
#include <map>

#include "commands.h"
#include "core/error.h"
#include "train/memory_plan.h"

namespace anymal::cli {

Runner add_plan_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("plan", "memory per rank of sharded training, by arithmetic");
  struct Args {
    std::string model, precision = "mixed";
    double params = 0, trainable = -1;
    int ranks = 8;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "a Llama size: 1b (3.2 1B), 8b (3.1 8B), 70b (3.1 70B)")
      ->check(CLI::IsMember({"1b", "8b", "70b"}));
  cmd->add_option("--params", a->params, "parameter count (instead of --model)")
      ->check(CLI::Range(1.0, 1e15));
  cmd->add_option("--trainable", a->trainable, "parameters that train (default: all)")
      ->check(CLI::Range(0.0, 1e15));
  cmd->add_option("--ranks", a->ranks, "data-parallel ranks (default 8)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--precision", a->precision,
                  "mixed (bf16 weights and gradients, f32 master and moments; GPUs) or f32 (this "
                  "CPU trainer)")
      ->check(CLI::IsMember({"mixed", "f32"}));
  return [a] {
    // Llama 3.2 1B, Llama 3.1 8B and 70B (tied embeddings in the 1B).
    const std::map<std::string, double> sizes = {{"1b", 1.24e9}, {"8b", 8.03e9}, {"70b", 70.6e9}};
    const double params = a->model.empty() ? a->params : sizes.at(a->model);
    if (params <= 0) throw_error(ErrorKind::invalid_input, "plan: give --model or --params");
    const double trainable = a->trainable < 0 ? params : std::min(a->trainable, params);
    const auto precision = a->precision == "f32" ? train::Precision::f32 : train::Precision::mixed;
    std::printf(
        "%.3g parameters (%.3g trainable), %d ranks, %s precision; GiB per rank, "
        "activations extra\n",
        params, trainable, a->ranks, a->precision.c_str());
    std::printf("%-11s %9s %10s %10s %10s\n", "shard", "weights", "gradients", "optimizer",
                "total");
    for (auto level : {train::ShardLevel::none, train::ShardLevel::optimizer,
                       train::ShardLevel::gradients, train::ShardLevel::parameters}) {
      const train::MemoryPlan m =
          train::plan_memory(int64_t(params), int64_t(trainable), a->ranks, level, precision);
      const double gib = 1024.0 * 1024.0 * 1024.0;
      std::printf("%-11s %9.2f %10.2f %10.2f %10.2f\n", train::shard_level_name(level),
                  m.weights / gib, m.gradients / gib, m.optimizer / gib, m.total() / gib);
    }
    return 0;
  };
}

}  // namespace anymal::cli
