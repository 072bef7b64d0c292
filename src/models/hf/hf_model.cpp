#include "models/hf/hf_model.h"

#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "models/hf/clip_hf.h"
#include "models/hf/llama_hf.h"

namespace anymal::models {

namespace fs = std::filesystem;

bool is_hf_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::exists(fs::path(path) / "config.json", ec);
}

GgufWriter hf_to_gguf(const std::string& dir, HfFloat type) {
  const HfConfig cfg = HfConfig::read(dir);
  std::string arch;
  if (cfg.has("architectures") && cfg.json["architectures"].is_array() &&
      !cfg.json["architectures"].empty() && cfg.json["architectures"][0].is_string())
    arch = cfg.json["architectures"][0].get<std::string>();
  const std::string model_type = cfg.json.value("model_type", "");
  if (arch == "LlamaForCausalLM" || arch == "MistralForCausalLM" ||
      (arch.empty() && (model_type == "llama" || model_type == "mistral")))
    return llama_hf_to_gguf(dir, cfg, type);
  if (is_hf_vision_arch(arch) ||
      (arch.empty() && (model_type.rfind("clip", 0) == 0 || model_type.rfind("siglip", 0) == 0)))
    return clip_hf_to_gguf(dir, cfg, type);
  throw_error(ErrorKind::unsupported,
              cfg.path + ": architecture \"" + (arch.empty() ? model_type : arch) +
                  "\" is not supported (LlamaForCausalLM, MistralForCausalLM, CLIPVisionModel, "
                  "SiglipVisionModel, CLIPModel, SiglipModel)");
}

std::shared_ptr<GgufFile> open_model_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return GgufFile::open(path);
  log_info("converting the Hugging Face directory %s in memory", path.c_str());
  return hf_to_gguf(path).to_memory(path);
}

void gguf_to_hf(const GgufFile& file, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw_error(ErrorKind::io, "cannot create " + dir + ": " + ec.message());
  const std::string arch = file.get_string("general.architecture");
  if (arch == "llama") return llama_gguf_to_hf(file, dir);
  if (arch == "clip") return clip_gguf_to_hf(file, dir);
  throw_error(ErrorKind::unsupported, file.path() + ": architecture \"" + arch +
                                          "\" cannot be written as Hugging Face files");
}

}  // namespace anymal::models
