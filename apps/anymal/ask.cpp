// anymal ask [-m LLM.gguf --mmproj PROJ.gguf] [--image IMG] [--audio SOUND] [--imu MOTION.csv]
// ["question"]: inputs and a question, the answer streamed. The inputs (image, then sound,
// then motion, each a marker on its own line) and the question go into the model's chat
// template (LLaVA-1.5's when it has none we recognise).
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "formats/image.h"
#include "infer/session.h"
#include "models/anymal/chat_template.h"
#include "text/tokenizer.h"
#include "vlm.h"

namespace anymal::cli {

Runner add_ask_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("ask", "ask a question about an image; the answer streams");
  struct Args {
    std::string model, mmproj, image, audio, imu, question;
    int n_predict = 256;
    bool stats = false;
    infer::SamplerOptions sampling;
  };
  auto a = std::make_shared<Args>();
  a->sampling.temperature = 0;  // answers, not stories: greedy unless asked otherwise
  cmd->add_option("-m,--model", a->model, "language model .gguf (default: the bundled demo model)");
  cmd->add_option("--mmproj", a->mmproj, "vision projector .gguf (clip) for the model");
  cmd->add_option("--image", a->image, "image file (PNG, JPEG, BMP, PPM)");
  cmd->add_option("--audio", a->audio, "sound file (WAV, FLAC, OGG; any rate, mixed to mono)");
  cmd->add_option("--imu", a->imu, "motion CSV with header t,ax,ay,az,gx,gy,gz");
  cmd->add_option("question", a->question, "the question (may be left out with --audio)");
  cmd->add_option("-n,--n-predict", a->n_predict, "most tokens in the answer (default 256)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--temp", a->sampling.temperature, "temperature; 0 is greedy (default 0)");
  cmd->add_option("--seed", a->sampling.seed, "sampling seed (default 0)");
  cmd->add_flag("--stats", a->stats, "print encode, prompt and generation times to stderr");
  return [a, demo_dir = global.demo_dir] {
    if (a->image.empty() && a->audio.empty() && a->imu.empty())
      throw_error(ErrorKind::invalid_input, "ask needs an input: --image, --audio or --imu");
    if (a->question.empty() && a->audio.empty())
      throw_error(ErrorKind::invalid_input, "ask needs a question (or a spoken one: --audio)");
    auto t0 = std::chrono::steady_clock::now();
    Vlm vlm = load_vlm(a->model, a->mmproj, demo_dir);
    auto& model = vlm.model;
    auto& tok = vlm.tok;
    auto t1 = std::chrono::steady_clock::now();
    std::vector<models::Modality> inputs;
    std::vector<Tensor> embds;
    for (const auto& [m, path] : {std::pair{models::Modality::image, a->image},
                                  {models::Modality::audio, a->audio},
                                  {models::Modality::imu, a->imu}}) {
      if (path.empty()) continue;
      inputs.push_back(m);
      embds.push_back(vlm.enc.embed_file(m, path));
    }
    auto t2 = std::chrono::steady_clock::now();
    const models::ChatTemplate tmpl = models::chat_template_of(model->file());
    const models::MediaPrompt p = models::split_media_prompt(
        *tok, models::format_user_turn(tmpl, models::media_question(inputs, a->question), true));
    int64_t n_prompt = 0;
    for (const auto& piece : p.pieces) n_prompt += int64_t(piece.size());
    for (const Tensor& e : embds) n_prompt += e.dim(1);
    const int64_t ctx = std::min<int64_t>(model->config().n_ctx_train, n_prompt + a->n_predict + 1);
    if (n_prompt + 1 > ctx)
      throw_error(ErrorKind::invalid_input, "the prompt (" + std::to_string(n_prompt) +
                                                " positions with the inputs) exceeds the context");
    infer::Session session(*model, *tok, ctx, n_prompt);  // the whole prompt in one prefill
    eval_media_prompt(session, p, embds);
    session.flush();
    auto t3 = std::chrono::steady_clock::now();
    infer::Sampler sampler(a->sampling);
    infer::GenerateStats st = session.generate(a->n_predict, sampler, [](const std::string& s) {
      std::fputs(s.c_str(), stdout);
      std::fflush(stdout);
    });
    std::fputs("\n", stdout);
    std::fflush(stdout);
    if (a->stats) {
      auto secs = [](auto x, auto y) { return std::chrono::duration<double>(y - x).count(); };
      std::fprintf(stderr,
                   "load %.2f s; encode %.3f s; prompt %lld positions %.3f s (first token "
                   "after %.3f s); generated %d tokens, %.1f t/s\n",
                   secs(t0, t1), secs(t1, t2), (long long)n_prompt, secs(t2, t3), secs(t1, t3),
                   st.n_generated, st.n_generated / st.seconds);
    }
    return 0;
  };
}

}  // namespace anymal::cli
