// anymal inspect FILE.gguf: the metadata and a tensor table (name, type, shape, bytes).
#include <cstdio>

#include "commands.h"
#include "formats/gguf.h"
#include "models/hf/hf_model.h"

namespace anymal::cli {

namespace {

std::string ne_str(const std::vector<int64_t>& ne) {
  std::string s;
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? " x " : "") + std::to_string(ne[i]);
  return s;
}

}  // namespace

Runner add_inspect_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("inspect", "show a GGUF file's metadata and tensors");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "the .gguf file")->required();
  return [path] {
    auto g = models::open_model_file(*path);
    std::printf("%s: GGUF v%u, %zu metadata keys, %zu tensors, alignment %zu, data at %zu\n",
                path->c_str(), g->version(), g->metadata().size(), g->tensors().size(),
                g->alignment(), g->data_offset());
    std::printf("\nmetadata:\n");
    for (auto& [key, value] : g->metadata()) {
      std::string v = value.str();
      if (v.size() > 160) v = v.substr(0, 157) + "...";
      std::printf("  %-40s %-7s %s\n", key.c_str(), gguf_type_name(value.type), v.c_str());
    }
    std::printf("\ntensors (dims in ggml order, innermost first):\n");
    std::printf("  %-36s %-6s %-24s %12s\n", "name", "type", "dims", "bytes");
    size_t total = 0;
    for (const GgufTensorInfo& t : g->tensors()) {
      std::printf("  %-36s %-6s %-24s %12zu\n", t.name.c_str(), ggml_type_name(t.type),
                  ne_str(t.ne).c_str(), t.nbytes);
      total += t.nbytes;
    }
    std::printf("  %-36s %-6s %-24s %12zu\n", "total", "", "", total);
    return 0;
  };
}

}  // namespace anymal::cli
