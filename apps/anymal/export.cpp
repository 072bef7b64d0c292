// anymal export CHECKPOINT --out DIR: the model of a training checkpoint as DIR/model.gguf
// (llama, the run's tokenizer, LoRA merged) and DIR/mmproj.gguf (clip), loadable by
// anymal ask and by llama.cpp. The tokenizer is the run's tokenizer.gguf beside the checkpoint.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "core/error.h"
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
    train::export_checkpoint(a->checkpoint, a->out, ggml_type_from_name(a->type));
    std::printf("%s/model.gguf and mmproj.gguf written\n", a->out.c_str());
    return 0;
  };
}

}  // namespace anymal::cli
