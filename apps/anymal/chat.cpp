// anymal chat [-m LLM.gguf --mmproj PROJ.gguf] [--image IMG]: a multi-turn conversation in the
// terminal, in the model's chat template (LLaVA-1.5's when it has none we recognise).
// `/image PATH`, `/audio PATH` and `/imu PATH` attach inputs to the next message, `/reset`
// starts over, `/quit` (or end of input) leaves. The conversation stays in the KV cache
// between turns; an input seen before is not encoded again.
#include <cstdio>
#include <iostream>
#include <utility>

#include "commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "infer/image_cache.h"
#include "infer/session.h"
#include "models/anymal/chat_template.h"
#include "vlm.h"

namespace anymal::cli {

Runner add_chat_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "chat",
      "talk about images, sounds and motion in the terminal (/image, /audio, /imu, /reset)");
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
    std::vector<std::pair<models::Modality, std::string>> pending;
    if (!a->image.empty()) pending.emplace_back(models::Modality::image, a->image);
    bool first_turn = true;
    std::string line;
    std::fprintf(stderr,
                 "chat: /image, /audio or /imu PATH attaches an input, /reset starts over, /quit "
                 "leaves\n");
    while (std::fputs("> ", stderr), std::getline(std::cin, line)) {
      if (line == "/quit") break;
      if (line == "/reset") {
        session.reset();
        first_turn = true;
        continue;
      }
      bool attached = false;
      for (models::Modality m :
           {models::Modality::image, models::Modality::audio, models::Modality::imu}) {
        const std::string command = std::string("/") + models::modality_name(m) + " ";
        if (line.rfind(command, 0) != 0) continue;
        if (vlm.enc.has(m))
          pending.emplace_back(m, line.substr(command.size()));
        else
          std::fprintf(stderr, "error: this model has no %s encoder\n", models::modality_name(m));
        attached = true;
      }
      if (attached) continue;
      if (line.empty()) continue;
      try {
        // The model's chat template; the inputs go at the start of the message, each marker
        // on its own line. Text around them is tokenized apart, BOS only at the very start.
        const auto inputs = std::exchange(pending, {});
        std::vector<models::Modality> kinds;
        std::vector<Tensor> embds;
        for (const auto& [m, path] : inputs) {
          const auto file = MappedFile::open(path);  // the cache hashes what decoders read
          const std::span<const uint8_t> bytes(file->data(), file->size());
          kinds.push_back(m);
          embds.push_back(cache.get_or_compute(
              bytes, [&, m = m, &path = path] { return vlm.enc.embed_bytes(m, bytes, path); }));
        }
        const models::MediaPrompt p = models::split_media_prompt(
            *vlm.tok,
            models::format_user_turn(tmpl, models::media_question(kinds, line), first_turn),
            first_turn);
        eval_media_prompt(session, p, embds);
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
