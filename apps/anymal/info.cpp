// anymal info: what this build and this machine offer (kernels, threads, GEMM library).
#include <dnnl.hpp>

#include "backend/cpu/kernels.h"
#include "commands.h"
#include "core/thread_pool.h"

namespace anymal::cli {

Runner add_info_command(CLI::App& app, const GlobalOptions&) {
  app.add_subcommand("info", "show the build, CPU kernels and threads");
  return [] {
    const dnnl_version_t* v = dnnl_version();
    std::printf("anymal.cpp\n");
    std::printf("cpu kernels:   %s (supported:", cpu::variant_name(cpu::best_variant()));
    for (auto k : cpu::supported_variants()) std::printf(" %s", cpu::variant_name(k));
    std::printf(")\n");
    std::printf("threads:       %d (physical cores: %d)\n",
                current_thread_pool() ? current_thread_pool()->size() : 1, physical_core_count());
    std::printf("gemm:          oneDNN %d.%d.%d (f32, bf16)\n", v->major, v->minor, v->patch);
    return 0;
  };
}

}  // namespace anymal::cli
