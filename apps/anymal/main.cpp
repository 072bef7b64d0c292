// anymal: one binary that trains and serves any-modality LLMs. This file parses the global
// options, installs the thread pool, dispatches to a subcommand and turns errors into
// "error: ..." and an exit code (the edge where library exceptions are caught):
// 2 for bad input, files or unsupported requests, 70 for internal errors.
#include <cstdio>
#include <filesystem>
#include <map>

#include "commands.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/log.h"
#include "core/thread_pool.h"

int main(int argc, char** argv) {
  anymal::tune_allocator();
  using namespace anymal;
  CLI::App app{"anymal — train and serve any-modality LLMs"};
  app.require_subcommand(1);
  cli::GlobalOptions global;
  std::string log_level = "info";
  app.add_option("--threads", global.threads,
                 "worker threads (default: physical cores; serve leaves one to its HTTP threads)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));

  // The bundled demo model lives in models/demo of the checkout the binary was built in
  // (build/bin/anymal -> ../../models/demo).
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec)
    global.demo_dir =
        (exe.parent_path() / ".." / ".." / "models" / "demo").lexically_normal().string();

  std::map<CLI::App*, cli::Runner> runners;
  auto add = [&](cli::Runner (*add_command)(CLI::App&, const cli::GlobalOptions&)) {
    size_t before = app.get_subcommands({}).size();
    cli::Runner run = add_command(app, global);
    runners[app.get_subcommands({})[before]] = std::move(run);
  };
  add(cli::add_info_command);
  add(cli::add_inspect_command);
  add(cli::add_quantize_command);
  add(cli::add_convert_command);
  add(cli::add_data_command);
  add(cli::add_train_command);
  add(cli::add_export_command);
  add(cli::add_eval_command);
  add(cli::add_tokenizer_command);
  add(cli::add_tokenize_command);
  add(cli::add_logits_command);
  add(cli::add_generate_command);
  add(cli::add_ask_command);
  add(cli::add_chat_command);
  add(cli::add_serve_command);
  add(cli::add_sweep_command);
  add(cli::add_doctor_command);
  add(cli::add_plan_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  static const std::map<std::string, LogLevel> levels{{"debug", LogLevel::debug},
                                                      {"info", LogLevel::info},
                                                      {"warn", LogLevel::warn},
                                                      {"error", LogLevel::error},
                                                      {"off", LogLevel::off}};
  set_log_level(levels.at(log_level));
  try {
    ThreadPool pool(global.threads > 0 ? global.threads : physical_core_count());
    ThreadPoolScope scope(&pool);
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.kind() == ErrorKind::internal ? 70 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 70;
  }
  return 0;
}
