// anymal eval -m MODEL --data DATA.jsonl... [--json OUT.json] [--limit N]: exact-match accuracy
// per task, asked as `anymal ask` asks. MODEL: a model.gguf (with --mmproj), a directory holding
// model.gguf + mmproj.gguf, or a run directory (its export/); default: the bundled demo model.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "train/evaluate.h"
#include "vlm.h"

namespace anymal::cli {

Runner add_eval_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("eval", "exact-match accuracy of a model on a dataset, per task");
  struct Args {
    std::string model, mmproj, json;
    std::vector<std::string> data;
    int64_t limit = 0;
    int max_tokens = 32;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-m,--model", a->model,
                  "model.gguf, a directory with model.gguf + mmproj.gguf, "
                  "or a run directory")
      ->required();
  cmd->add_option("--mmproj", a->mmproj, "vision projector (when -m is a file)");
  cmd->add_option("--data", a->data, "LLaVA JSONL datasets (images, sounds, motion)")->required();
  cmd->add_option("--json", a->json, "write {task: accuracy} here");
  cmd->add_option("--limit", a->limit, "evaluate the first N examples")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-n,--n-predict", a->max_tokens, "most answer tokens (default 32)")
      ->check(CLI::PositiveNumber);
  return [a, demo_dir = global.demo_dir] {
    namespace fs = std::filesystem;
    std::string model = a->model, mmproj = a->mmproj;
    std::error_code ec;
    if (!model.empty() && fs::is_directory(model, ec)) {
      fs::path dir = model;
      if (!fs::exists(dir / "model.gguf") && fs::exists(dir / "export" / "model.gguf"))
        dir /= "export";
      if (!fs::exists(dir / "model.gguf") || !fs::exists(dir / "mmproj.gguf"))
        throw_error(ErrorKind::invalid_input,
                    model + " holds no model.gguf + mmproj.gguf (nor export/ with them)");
      model = (dir / "model.gguf").string();
      mmproj = (dir / "mmproj.gguf").string();
    }
    Vlm vlm = load_vlm(model, mmproj, demo_dir);
    std::vector<data::Example> examples;
    for (const std::string& file : a->data) {
      data::DatasetReport report;
      auto part = data::read_llava_jsonl(file, {}, report);
      examples.insert(examples.end(), part.begin(), part.end());
    }
    const train::EvalReport r =
        train::evaluate(*vlm.model, *vlm.tok, vlm.enc, examples, a->max_tokens, a->limit);
    std::fputs(r.table().c_str(), stdout);
    for (const std::string& m : r.mistakes) log_debug("mistake: %s", m.c_str());
    if (!a->json.empty()) write_file_atomic(a->json, r.to_json().dump(1) + "\n");
    return 0;
  };
}

}  // namespace anymal::cli
