// anymal export CHECKPOINT --out DIR: the model of a training checkpoint as DIR/model.gguf
// (llama, the run's tokenizer, LoRA merged) and DIR/mmproj.gguf (clip), loadable by
// anymal ask and by llama.cpp. The tokenizer is the run's tokenizer.gguf beside the checkpoint.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "core/error.h"
#include "models/anymal/export.h"
#include "train/trainer.h"

namespace anymal::cli {

Runner add_export_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("export", "write a training checkpoint as model + mmproj GGUF");
  struct Args {
    std::string checkpoint, out, type = "f16";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("checkpoint", a->checkpoint, "ckpt-*.gguf of a run directory")->required();
  cmd->add_option("--out", a->out, "output directory")->required();
  cmd->add_option("--type", a->type, "f32, f16 (default) or bf16")
      ->check(CLI::IsMember({"f32", "f16", "bf16"}));
  return [a] {
    namespace fs = std::filesystem;
    const fs::path tok = fs::path(a->checkpoint).parent_path() / "tokenizer.gguf";
    if (!fs::exists(tok))
      throw_error(ErrorKind::invalid_input, "no tokenizer.gguf beside " + a->checkpoint +
                                                " (export reads the run directory)");
    auto model = train::load_trained_model(a->checkpoint);
    fs::create_directories(a->out);
    const GgmlType type = ggml_type_from_name(a->type);
    models::export_mmproj(*model, (fs::path(a->out) / "mmproj.gguf").string(), type);
    models::export_language_model(*model, *GgufFile::open(tok.string()),
                                  (fs::path(a->out) / "model.gguf").string(), type);
    std::printf("%s/model.gguf and mmproj.gguf written\n", a->out.c_str());
    return 0;
  };
}

}  // namespace anymal::cli
