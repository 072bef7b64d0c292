// anymal chat [-m LLM.gguf --mmproj PROJ.gguf] [--image IMG]: a multi-turn conversation in the
// terminal, in the model's chat template (LLaVA-1.5's when it has none we recognise).
// `/image PATH` attaches an image to the next message, `/reset` starts over, `/quit` (or end of
// input) leaves. The conversation stays in the KV cache between turns; an image seen before is
// not encoded again.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <utility>

#include "commands.h"
#include "core/error.h"
#include "formats/image.h"
#include "infer/image_cache.h"
#include "infer/session.h"
#include "models/anymal/chat_template.h"
#include "vlm.h"

namespace anymal::cli {

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorKind::io, "cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

Runner add_chat_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("chat", "talk about images in the terminal (/image PATH, /reset)");
  struct Args {
    std::string model, mmproj, image;
    int n_predict = 256;
    int64_t ctx = 2048;
    infer::SamplerOptions sampling;
  };
  auto a = std::make_shared<Args>();
  a->sampling.temperature = 0;
  cmd->add_option("-m,--model", a->model, "language model .gguf (default: the bundled demo model)");
  cmd->add_option("--mmproj", a->mmproj, "vision projector .gguf (clip) for the model");
  cmd->add_option("--image", a->image, "an image for the first message");
  cmd->add_option("-n,--n-predict", a->n_predict, "most tokens per answer (default 256)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ctx", a->ctx, "context length (default 2048)")->check(CLI::PositiveNumber);
  cmd->add_option("--temp", a->sampling.temperature, "temperature; 0 is greedy (default 0)");
  cmd->add_option("--seed", a->sampling.seed, "sampling seed (default 0)");
  return [a, demo_dir = global.demo_dir] {
    Vlm vlm = load_vlm(a->model, a->mmproj, demo_dir);
    const int64_t ctx = std::min<int64_t>(a->ctx, vlm.model->config().n_ctx_train);
    infer::Session session(*vlm.model, *vlm.tok, ctx);
    infer::ImageEmbeddingCache cache;
    const models::ChatTemplate tmpl = models::chat_template_of(vlm.model->file());
    std::string pending_image = a->image;
    bool first_turn = true;
    std::string line;
    std::fprintf(stderr, "chat: /image PATH attaches an image, /reset starts over, /quit leaves\n");
    while (std::fputs("> ", stderr), std::getline(std::cin, line)) {
      if (line == "/quit") break;
      if (line == "/reset") {
        session.reset();
        first_turn = true;
        continue;
      }
      if (line.rfind("/image ", 0) == 0) {
        pending_image = line.substr(7);
        continue;
      }
      if (line.empty()) continue;
      try {
        // The model's chat template; an image goes at the start of its message. Text before
        // and after an image is tokenized apart, BOS only at the very start.
        const std::string image_path = std::exchange(pending_image, "");
        Tensor embd;
        models::ImagePrompt p;
        if (!image_path.empty()) {
          std::vector<uint8_t> bytes = read_bytes(image_path);
          embd = cache.get_or_compute(
              bytes, [&] { return vlm.vision->embed({decode_image(bytes, image_path)}); });
          p = models::split_image_prompt(
              *vlm.tok, models::format_user_turn(tmpl, "<image>\n" + line, first_turn), first_turn);
        } else {
          p.after =
              vlm.tok->encode(models::format_user_turn(tmpl, line, first_turn), first_turn, true);
        }
        session.eval_tokens(p.before);
        if (embd.defined()) session.eval_embeddings(embd.data<float>(), embd.dim(1));
        session.eval_tokens(p.after);
        first_turn = false;
        infer::Sampler sampler(a->sampling);
        session.generate(a->n_predict, sampler, [](const std::string& s) {
          std::fputs(s.c_str(), stdout);
          std::fflush(stdout);
        });
        std::fputs("\n", stdout);
      } catch (const Error& e) {  // a bad image or a full context: say so, keep the chat
        std::fprintf(stderr, "error: %s\n", e.what());
      }
    }
    return 0;
  };
}

}  // namespace anymal::cli
