// anymal logits -m FILE.gguf --prompt-file F --out PREFIX: evaluates a prompt and writes
// PREFIX.json (prompt_tokens; per position logsumexp and the top-20 logits; 16 greedy tokens
// through the KV cache) and PREFIX.last_logits.f32 — the schema of ../shared/fixtures/llm/ref,
// so fixtures_check.py compares the two. With --mmproj and --image the prompt holds <image>:
// the JSON has before_tokens/after_tokens and positions for the after-tokens (the schema of
// ../shared/fixtures/vision/ref), plus PREFIX.pixels.f32 and PREFIX.image_embd.f32.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "formats/image.h"
#include "models/anymal/vision.h"
#include "models/llm/llama_forward.h"
#include "text/tokenizer.h"

namespace anymal::cli {

namespace {

constexpr int kTopK = 20, kGreedy = 16;

nlohmann::json position_summary(const float* row, int64_t n_vocab) {
  float mx = *std::max_element(row, row + n_vocab);
  double sum = 0;
  for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(double(row[i]) - mx);
  std::vector<int32_t> ids(static_cast<size_t>(n_vocab));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + kTopK, ids.end(), [&](int32_t a, int32_t b) {
    return row[a] > row[b] || (row[a] == row[b] && a < b);
  });
  ids.resize(kTopK);
  std::vector<float> vals;
  for (int32_t id : ids) vals.push_back(row[id]);
  return {{"logsumexp", mx + std::log(sum)}, {"top20_ids", ids}, {"top20_logits", vals}};
}

}  // namespace

Runner add_logits_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand(
      "logits", "evaluate a prompt and write its logits (llama.cpp fixture schema)");
  struct Args {
    std::string model, prompt_file, out, mmproj, image;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-m,--model", a->model, "model .gguf")->required();
  cmd->add_option("--prompt-file", a->prompt_file, "text file with the prompt")->required();
  cmd->add_option("--out", a->out, "output prefix: PREFIX.json and PREFIX.last_logits.f32")
      ->required();
  auto* mmproj = cmd->add_option("--mmproj", a->mmproj, "vision projector .gguf (clip)");
  cmd->add_option("--image", a->image, "image file for the prompt's <image>")->needs(mmproj);
  mmproj->needs(cmd->get_option("--image"));
  return [a] {
    auto model = models::LlamaModel::load(a->model);
    auto tok = text::Tokenizer::from_gguf(model->file());
    const auto& cfg = model->config();
    const int64_t V = cfg.n_vocab;
    const std::string prompt = read_file_bytes(a->prompt_file);
    nlohmann::json j;
    j["n_vocab"] = V;
    std::vector<int32_t> tokens;  // the ones whose logits are reported
    std::vector<int32_t> before;  // vision: text before the image, evaluated first
    Tensor image_embd;
    if (!a->mmproj.empty()) {
      auto vision = models::VisionModel::load(a->mmproj, cfg.n_embd);
      Image img = load_image(a->image);
      std::vector<float> px = vision->pixels(img);
      image_embd = vision->embed({img});
      models::ImagePrompt ip = models::split_image_prompt(*tok, prompt);
      before = ip.before;
      tokens = ip.after;
      const int64_t S = vision->config().image_size;
      j["image_size"] = {S, S};
      j["n_image_tokens"] = image_embd.dim(1);
      j["n_mmproj_embd"] = image_embd.dim(2);
      j["before_tokens"] = before;
      j["after_tokens"] = tokens;
      write_file_atomic(a->out + ".pixels.f32", px.data(), px.size() * sizeof(float));
      write_file_atomic(a->out + ".image_embd.f32", image_embd.data<float>(),
                        size_t(image_embd.numel()) * sizeof(float));
    } else {
      tokens = tok->encode(prompt, true);
      j["prompt_tokens"] = tokens;
    }
    if (tokens.empty())
      throw_error(ErrorKind::invalid_input, a->prompt_file + ": the prompt has no tokens");
    const int64_t n = int64_t(tokens.size());
    const int64_t n_pre = int64_t(before.size()) + (image_embd.defined() ? image_embd.dim(1) : 0);
    models::KvCache cache(cfg, std::min<int64_t>(cfg.n_ctx_train, n_pre + n + kGreedy) + 1);
    models::LlamaWorkspace ws(cfg, std::min<int64_t>(std::max(n, n_pre), 512));
    std::vector<float> logits(static_cast<size_t>(n * V));
    if (!before.empty())
      models::llama_eval(*model, cache, ws, before.data(), int64_t(before.size()), false,
                         logits.data());
    if (image_embd.defined())
      models::llama_eval_embd(*model, cache, ws, image_embd.data<float>(), image_embd.dim(1), false,
                              logits.data());
    models::llama_eval(*model, cache, ws, tokens.data(), n, true, logits.data());
    j["positions"] = nlohmann::json::array();
    for (int64_t i = 0; i < n; ++i)
      j["positions"].push_back(position_summary(logits.data() + i * V, V));
    const float* last = logits.data() + (n - 1) * V;
    std::vector<float> last_row(last, last + V), step(static_cast<size_t>(V));
    std::vector<int32_t> greedy;
    int32_t next = int32_t(std::max_element(last, last + V) - last);
    while (true) {
      greedy.push_back(next);
      if (int64_t(greedy.size()) == kGreedy || cache.n_past >= cache.n_ctx) break;
      models::llama_eval(*model, cache, ws, &next, 1, false, step.data());
      next = int32_t(std::max_element(step.begin(), step.end()) - step.begin());
    }
    j["greedy_tokens"] = greedy;
    std::string json = j.dump(1);
    write_file_atomic(a->out + ".last_logits.f32", last_row.data(),
                      last_row.size() * sizeof(float));
    write_file_atomic(a->out + ".json", json);
    std::printf("%s.json: %lld prompt tokens, %d greedy tokens\n", a->out.c_str(), (long long)n,
                int(greedy.size()));
    return 0;
  };
}

}  // namespace anymal::cli
