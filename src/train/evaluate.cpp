#include "train/evaluate.h"

#include <cstdio>

#include "infer/sampler.h"
#include "infer/session.h"
#include "models/anymal/chat_template.h"

namespace anymal::train {

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n\r"), b = s.find_last_not_of(" \t\n\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::string EvalReport::table() const {
  std::string out = "task          accuracy   correct / total\n";
  char line[128];
  auto row = [&](const std::string& name, const Score& s) {
    std::snprintf(line, sizeof line, "%-12s  %7.1f%%   %7lld / %lld\n", name.c_str(),
                  100 * s.accuracy(), (long long)s.correct, (long long)s.total);
    out += line;
  };
  for (const auto& [task, s] : tasks) row(task.empty() ? "(none)" : task, s);
  row("overall", overall);
  if (heldout.total) row("heldout", heldout);
  return out;
}

nlohmann::json EvalReport::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [task, s] : tasks) j[task.empty() ? "(none)" : task] = s.accuracy();
  j["overall"] = overall.accuracy();
  if (heldout.total) j["heldout"] = heldout.accuracy();
  return j;
}

EvalReport evaluate(const models::LlamaModel& lm, const text::Tokenizer& tok,
                    const models::Encoders& enc, const std::vector<data::Example>& examples,
                    int max_tokens, int64_t limit) {
  EvalReport report;
  const int64_t n =
      limit > 0 ? std::min<int64_t>(limit, int64_t(examples.size())) : int64_t(examples.size());
  const models::ChatTemplate tmpl = models::chat_template_of(lm.file());
  infer::SamplerOptions greedy;
  greedy.temperature = 0;
  const int64_t n_ctx = lm.config().n_ctx_train;
  infer::Session session(lm, tok, n_ctx);
  for (int64_t i = 0; i < n; ++i) {
    const data::Example& ex = examples[size_t(i)];
    session.reset();
    std::string answer;
    const models::MediaPrompt p = models::split_media_prompt(
        tok, models::format_user_turn(tmpl, models::media_question(ex.inputs, ex.question), true));
    for (size_t k = 0; k < p.pieces.size(); ++k) {
      session.eval_tokens(p.pieces[k]);
      if (k == ex.inputs.size()) break;
      const Tensor embd = enc.embed_file(ex.inputs[k], ex.path_of(ex.inputs[k]));
      session.eval_embeddings(embd.data<float>(), embd.dim(1));
    }
    infer::Sampler sampler(greedy);
    const int budget = int(std::min<int64_t>(max_tokens, n_ctx - session.n_past() - 1));
    if (budget > 0) session.generate(budget, sampler, [&](const std::string& s) { answer += s; });
    answer = trim(answer);
    const bool ok = answer == ex.answer;
    Score& t = report.tasks[ex.task];
    t.correct += ok;
    ++t.total;
    report.overall.correct += ok;
    ++report.overall.total;
    if (ex.heldout) {
      report.heldout.correct += ok;
      ++report.heldout.total;
    }
    if (!ok && report.mistakes.size() < 20)
      report.mistakes.push_back(ex.task + ": " + ex.question + " -> " + answer + " (want " +
                                ex.answer + ")");
  }
  return report;
}

}  // namespace anymal::train
