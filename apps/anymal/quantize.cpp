// anymal quantize IN.gguf OUT.gguf TYPE: re-encode a model's weight matrices (q8_0, q4_0,
// q4_K, q6_K, ...) into a file that anymal and llama.cpp load.
#include <cstdio>

#include "commands.h"
#include "formats/quantize.h"

namespace anymal::cli {

Runner add_quantize_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("quantize", "re-encode a GGUF model's weights in another type");
  struct Args {
    std::string in, out, type;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("input", a->in, "source .gguf")->required();
  cmd->add_option("output", a->out, "destination .gguf (written atomically)")->required();
  cmd->add_option("type", a->type, "q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q6_K, f16, bf16 or f32")
      ->required();
  return [a] {
    QuantizeReport r = quantize_gguf(a->in, a->out, ggml_type_from_name(a->type));
    std::printf("%s: %d tensors converted to %s, %d kept; %.1f MB -> %.1f MB\n", a->out.c_str(),
                r.converted, a->type.c_str(), r.kept, double(r.bytes_in) / 1e6,
                double(r.bytes_out) / 1e6);
    return 0;
  };
}

}  // namespace anymal::cli
