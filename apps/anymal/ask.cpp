// anymal ask [-m LLM.gguf --mmproj PROJ.gguf] --image IMG "question": one image, one question,
// the answer streamed. The question goes into the model's chat template (LLaVA-1.5's when it
// has none we recognise).
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "formats/image.h"
#include "infer/session.h"
#include "models/anymal/chat_template.h"
#include "models/anymal/vision.h"
#include "text/tokenizer.h"
#include "vlm.h"

namespace anymal::cli {

Runner add_ask_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("ask", "ask a question about an image; the answer streams");
  struct Args {
    std::string model, mmproj, image, question;
    int n_predict = 256;
    bool stats = false;
    infer::SamplerOptions sampling;
  };
  auto a = std::make_shared<Args>();
  a->sampling.temperature = 0;  // answers, not stories: greedy unless asked otherwise
  cmd->add_option("-m,--model", a->model, "language model .gguf (default: the bundled demo model)");
  cmd->add_option("--mmproj", a->mmproj, "vision projector .gguf (clip) for the model");
  cmd->add_option("--image", a->image, "image file (PNG, JPEG, BMP, PPM)")->required();
  cmd->add_option("question", a->question, "the question")->required();
  cmd->add_option("-n,--n-predict", a->n_predict, "most tokens in the answer (default 256)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--temp", a->sampling.temperature, "temperature; 0 is greedy (default 0)");
  cmd->add_option("--seed", a->sampling.seed, "sampling seed (default 0)");
  cmd->add_flag("--stats", a->stats, "print image encode, prompt and generation times to stderr");
  return [a, demo_dir = global.demo_dir] {
    auto t0 = std::chrono::steady_clock::now();
    Image image = load_image(a->image);
    Vlm vlm = load_vlm(a->model, a->mmproj, demo_dir);
    auto& model = vlm.model;
    auto& tok = vlm.tok;
    auto& vision = vlm.vision;
    auto t1 = std::chrono::steady_clock::now();
    Tensor embd = vision->embed({image});
    auto t2 = std::chrono::steady_clock::now();
    const models::ChatTemplate tmpl = models::chat_template_of(model->file());
    models::ImagePrompt p = models::split_image_prompt(
        *tok, models::format_user_turn(tmpl, "<image>\n" + a->question, true));
    const int64_t n_prompt = int64_t(p.before.size() + p.after.size()) + embd.dim(1);
    const int64_t ctx = std::min<int64_t>(model->config().n_ctx_train, n_prompt + a->n_predict + 1);
    if (n_prompt + 1 > ctx)
      throw_error(ErrorKind::invalid_input, "the prompt (" + std::to_string(n_prompt) +
                                                " positions with the image) exceeds the context");
    infer::Session session(*model, *tok, ctx, n_prompt);  // the whole prompt in one prefill
    session.eval_tokens(p.before);
    session.eval_embeddings(embd.data<float>(), embd.dim(1));
    session.eval_tokens(p.after);
    session.flush();
    auto t3 = std::chrono::steady_clock::now();
    infer::Sampler sampler(a->sampling);
    infer::GenerateStats st = session.generate(a->n_predict, sampler, [](const std::string& s) {
      std::fputs(s.c_str(), stdout);
      std::fflush(stdout);
    });
    std::fputs("\n", stdout);
    if (a->stats) {
      auto secs = [](auto x, auto y) { return std::chrono::duration<double>(y - x).count(); };
      std::fprintf(stderr,
                   "load %.2f s; image encode %.3f s; prompt %lld positions %.3f s (first token "
                   "after %.3f s); generated %d tokens, %.1f t/s\n",
                   secs(t0, t1), secs(t1, t2), (long long)n_prompt, secs(t2, t3), secs(t1, t3),
                   st.n_generated, st.n_generated / st.seconds);
    }
    return 0;
  };
}

}  // namespace anymal::cli
