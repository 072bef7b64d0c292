// anymal eval -m MODEL --data DATA.jsonl... [--json OUT.json] [--limit N]: exact-match accuracy
// per task, asked as `anymal ask` asks. MODEL: a model.gguf (with --mmproj), a directory holding
// model.gguf + mmproj.gguf, a run directory (its export/, else its newest checkpoint), or a
// training checkpoint (ckpt-*.gguf: exported in f32 to a temporary directory, as `anymal
// export` writes it, and evaluated from there).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "formats/gguf.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/trainer.h"
#include "vlm.h"

namespace anymal::cli {

namespace {

namespace fs = std::filesystem;

bool is_checkpoint(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  return GgufFile::open(path)->get_string("general.architecture", "") == "anymal-checkpoint";
}

// A checkpoint as model.gguf + mmproj.gguf in a directory of its own, removed with it.
struct ExportedCheckpoint {
  fs::path dir;
  explicit ExportedCheckpoint(const std::string& checkpoint) {
    std::string pattern = (fs::temp_directory_path() / "anymal-eval-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw_error(ErrorKind::io, "cannot create a temporary directory for " + checkpoint);
    dir = pattern;
    train::export_checkpoint(checkpoint, dir.string(), GgmlType::f32);
  }
  ~ExportedCheckpoint() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  ExportedCheckpoint(const ExportedCheckpoint&) = delete;
  ExportedCheckpoint& operator=(const ExportedCheckpoint&) = delete;
};

}  // namespace

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
                  "model.gguf, a directory with model.gguf + mmproj.gguf, a run directory, "
                  "or a training checkpoint")
      ->required();
  cmd->add_option("--mmproj", a->mmproj, "vision projector (when -m is a file)");
  cmd->add_option("--data", a->data, "LLaVA JSONL datasets (images, sounds, motion)")->required();
  cmd->add_option("--json", a->json, "write {task: accuracy} here");
  cmd->add_option("--limit", a->limit, "evaluate the first N examples")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-n,--n-predict", a->max_tokens, "most answer tokens (default 32)")
      ->check(CLI::PositiveNumber);
  return [a, demo_dir = global.demo_dir] {
    std::string model = a->model, mmproj = a->mmproj;
    std::error_code ec;
    if (!model.empty() && fs::is_directory(model, ec)) {
      fs::path dir = model;
      if (!fs::exists(dir / "model.gguf") && fs::exists(dir / "export" / "model.gguf"))
        dir /= "export";
      const std::vector<std::string> checkpoints = train::list_checkpoints(model);
      if (!fs::exists(dir / "model.gguf") && !checkpoints.empty()) {
        model = checkpoints.back();  // a run still going, or stopped before its export
      } else {
        if (!fs::exists(dir / "model.gguf") || !fs::exists(dir / "mmproj.gguf"))
          throw_error(ErrorKind::invalid_input, model +
                                                    " holds no model.gguf + mmproj.gguf (nor "
                                                    "export/ with them, nor checkpoints)");
        model = (dir / "model.gguf").string();
        mmproj = (dir / "mmproj.gguf").string();
      }
    }
    std::unique_ptr<ExportedCheckpoint> exported;
    if (is_checkpoint(model)) {
      if (!mmproj.empty())
        throw_error(ErrorKind::invalid_input,
                    "a checkpoint holds its own vision tower: drop --mmproj");
      log_info("eval: %s exported to a temporary directory", model.c_str());
      exported = std::make_unique<ExportedCheckpoint>(model);
      model = (exported->dir / "model.gguf").string();
      mmproj = (exported->dir / "mmproj.gguf").string();
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
