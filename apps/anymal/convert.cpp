// anymal convert: Hugging Face checkpoints <-> GGUF.
//   anymal convert HF_DIR OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_K|...]
//   anymal convert IN.gguf --to-hf OUT_DIR (config.json, model.safetensors, tokenizer files)
// The direction follows the input (a directory holding config.json is a Hugging Face
// checkpoint, anything else GGUF); --to-hf states it. Outputs are written atomically.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "core/error.h"
#include "formats/quantize.h"
#include "models/hf/hf_model.h"

namespace anymal::cli {

namespace {

int to_gguf(const std::string& dir, const std::string& out, const std::string& type_name) {
  const models::HfFloat floats[] = {models::HfFloat::source, models::HfFloat::f32,
                                    models::HfFloat::f16, models::HfFloat::bf16};
  const char* float_names[] = {"", "f32", "f16", "bf16"};
  for (int i = 0; i < 4; ++i) {
    if (type_name != float_names[i]) continue;
    models::hf_to_gguf(dir, floats[i]).write(out);
    std::printf("%s: converted from %s\n", out.c_str(), dir.c_str());
    return 0;
  }
  // A quantized type: convert in memory at the checkpoint's precision, then re-encode.
  const GgmlType type = ggml_type_from_name(type_name);
  auto converted = models::hf_to_gguf(dir).to_memory(dir);
  GgufWriter w;
  QuantizeReport r = quantize_into(converted, type, w);
  w.write(out);
  std::printf("%s: converted from %s; %d tensors in %s, %d kept; %.1f MB\n", out.c_str(),
              dir.c_str(), r.converted, type_name.c_str(), r.kept, double(r.bytes_out) / 1e6);
  return 0;
}

int to_hf(const std::string& in, const std::string& dir, const std::string& type_name) {
  if (!type_name.empty())
    throw_error(ErrorKind::invalid_input,
                "--type applies to GGUF output; a Hugging Face directory keeps the file's f16/bf16 "
                "weights and writes anything else as f32");
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(dir) / "config.json", ec))
    throw_error(
        ErrorKind::invalid_input,
        dir + " already holds a Hugging Face model (config.json); choose an empty directory");
  models::gguf_to_hf(*GgufFile::open(in), dir);
  std::printf("%s: Hugging Face files written from %s\n", dir.c_str(), in.c_str());
  return 0;
}

}  // namespace

Runner add_convert_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand(
      "convert", "convert a Hugging Face checkpoint directory to GGUF, or a GGUF file to one");
  struct Args {
    std::string in, out, type;
    bool to_hf = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("input", a->in, "Hugging Face directory (config.json) or .gguf file")->required();
  cmd->add_option("output", a->out, "destination .gguf, or directory for Hugging Face files")
      ->required();
  cmd->add_option("--type", a->type,
                  "GGUF weight type: f32, f16, bf16 (default: the checkpoint's own), or a "
                  "quantized type (q8_0, q4_0, q4_K, ...)");
  cmd->add_flag("--to-hf", a->to_hf, "write a Hugging Face directory from a GGUF file");
  return [a] {
    if (std::filesystem::absolute(a->in) == std::filesystem::absolute(a->out))
      throw_error(ErrorKind::invalid_input, "convert: input and output are the same path");
    if (models::is_hf_dir(a->in)) {
      if (a->to_hf)
        throw_error(ErrorKind::invalid_input,
                    a->in + " is already a Hugging Face directory; --to-hf takes a .gguf file");
      return to_gguf(a->in, a->out, a->type);
    }
    std::error_code ec;
    if (std::filesystem::is_directory(a->in, ec))
      throw_error(ErrorKind::invalid_input,
                  a->in + " is a directory without config.json: not a Hugging Face checkpoint");
    return to_hf(a->in, a->out, a->type);
  };
}

}  // namespace anymal::cli
