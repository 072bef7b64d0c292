// The CLI's subcommands: each file registers one on the CLI11 app and runs it.
// Commands receive their options explicitly; the environment is read only in main.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace anymal::cli {

// What every command gets from the global options (--threads, --log-level).
struct GlobalOptions {
  int threads = 0;       // 0: physical cores
  std::string demo_dir;  // the bundled demo model (models/demo beside the build)
};

using Runner = std::function<int()>;

// Registers `anymal info` and returns what runs it.
Runner add_info_command(CLI::App& app, const GlobalOptions& global);
Runner add_inspect_command(CLI::App& app, const GlobalOptions& global);
Runner add_quantize_command(CLI::App& app, const GlobalOptions& global);
Runner add_convert_command(CLI::App& app, const GlobalOptions& global);
Runner add_data_command(CLI::App& app, const GlobalOptions& global);
Runner add_train_command(CLI::App& app, const GlobalOptions& global);
Runner add_export_command(CLI::App& app, const GlobalOptions& global);
Runner add_eval_command(CLI::App& app, const GlobalOptions& global);
Runner add_tokenizer_command(CLI::App& app, const GlobalOptions& global);
Runner add_tokenize_command(CLI::App& app, const GlobalOptions& global);
Runner add_logits_command(CLI::App& app, const GlobalOptions& global);
Runner add_generate_command(CLI::App& app, const GlobalOptions& global);
Runner add_ask_command(CLI::App& app, const GlobalOptions& global);
Runner add_chat_command(CLI::App& app, const GlobalOptions& global);
Runner add_serve_command(CLI::App& app, const GlobalOptions& global);
Runner add_sweep_command(CLI::App& app, const GlobalOptions& global);
Runner add_doctor_command(CLI::App& app, const GlobalOptions& global);
Runner add_plan_command(CLI::App& app, const GlobalOptions& global);

}  // namespace anymal::cli
