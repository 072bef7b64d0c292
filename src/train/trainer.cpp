#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "autograd/backward.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "data/batch.h"
#include "formats/gguf_writer.h"
#include "models/anymal/export.h"
#include "models/hf/hf_model.h"
#include "ops/ops.h"
#include "text/bpe_trainer.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/flops.h"
#include "train/grad_clip.h"
#include "train/grad_sync.h"
#include "train/init_weights.h"
#include "train/loss_plot.h"
#include "train/memory_plan.h"
#include "train/schedule.h"
#include "train/sharded_adamw.h"

namespace anymal::train {

namespace fs = std::filesystem;

namespace {

// How long the other ranks wait while rank 0 alone works (tokenizer training, export).
constexpr double kRankZeroAlone = 24 * 3600.0;

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The tokenizer of the run: trained on the training text the first time, then reused.
std::unique_ptr<text::Tokenizer> run_tokenizer(const RecipeConfig& r, const std::string& dir,
                                               const std::vector<data::Example>& train,
                                               std::shared_ptr<GgufFile>& file) {
  const std::string path = (fs::path(dir) / "tokenizer.gguf").string();
  if (!fs::exists(path) && !r.init_lm.empty()) {
    // The language model's own tokenizer.
    auto lm = models::open_model_file(r.init_lm);
    GgufWriter w;
    w.set_string("general.architecture", "anymal-tokenizer");
    for (const auto& [key, value] : lm->metadata())
      if (key.rfind("tokenizer.", 0) == 0) w.set(key, value);
    w.write(path);
  } else if (!fs::exists(path)) {
    log_info("training a %lld-token BPE tokenizer on %zu examples", (long long)r.vocab_size,
             train.size());
    std::vector<std::string> texts;
    for (const auto& ex : train) texts.push_back(data::example_text(ex));
    GgufWriter w;
    w.set_string("general.architecture", "anymal-tokenizer");
    text::train_bpe(texts, r.vocab_size).write_gguf(w);
    w.write(path);
  }
  file = GgufFile::open(path);
  return text::Tokenizer::from_gguf(*file);
}

// Freezes everything, then unfreezes what the stage trains (enabling LoRA first if asked).
void configure_stage(models::AnymalModel& m, const StageConfig& st, uint64_t seed, int64_t index) {
  if (has(st.train, "lora") && !m.lm.blocks.empty() && !m.lm.blocks[0]->attn.q.has_lora()) {
    Rng rng(seed * 31 + uint64_t(index) + 1);
    m.lm.enable_lora(st.lora_rank, st.lora_alpha, rng);
  }
  m.set_requires_grad(false);
  for (const std::string& g : st.train) {
    if (g == "lm") m.lm.set_requires_grad(true);
    if (g == "vit") m.vit.set_requires_grad(true);
    if (g == "xattn")
      for (auto& x : m.xattn) x->set_requires_grad(true);
    if (g == "projector") {
      if (m.mlp) m.mlp->set_requires_grad(true);
      if (m.perceiver) m.perceiver->set_requires_grad(true);
    }
    // The recipe checked that a stage only names towers the model has.
    if (g == "audio") m.audio->encoder.set_requires_grad(true);
    if (g == "audio_projector") m.audio->projector().set_requires_grad(true);
    if (g == "imu") m.imu->encoder.set_requires_grad(true);
    if (g == "imu_projector") m.imu->projector().set_requires_grad(true);
    if (g == "clip_head") {
      // The head of the tower the stage trains, and the text side.
      if (st.modality == models::Modality::image) m.clip_img.set_requires_grad(true);
      if (st.modality == models::Modality::audio) m.clip_audio->set_requires_grad(true);
      if (st.modality == models::Modality::imu) m.clip_imu->set_requires_grad(true);
      m.clip_txt.set_requires_grad(true);
    }
    if (g == "lora")
      for (auto& [name, t] : m.lm.named_parameters())
        if (name.find("lora_") != std::string::npos) const_cast<Tensor&>(t).set_requires_grad(true);
  }
}

std::vector<const data::Example*> stage_examples(const StageConfig& st,
                                                 const std::vector<data::Example>& all) {
  std::vector<std::string> tasks = st.tasks;
  if (tasks.empty() && st.kind == "clip" && st.modality == models::Modality::image)
    tasks = {"caption"};
  std::vector<const data::Example*> out;
  for (const auto& ex : all) {
    if (!tasks.empty() && !has(tasks, ex.task)) continue;
    if (st.kind == "multimodal" && ex.inputs.empty()) continue;
    if (st.kind == "clip" && !ex.has(st.modality)) continue;
    out.push_back(&ex);
  }
  if (out.empty())
    throw_error(ErrorKind::invalid_input, "stage " + st.name + ": no training examples match");
  return out;
}

struct StepResult {
  float loss = 0;
  int64_t tokens = 0;
};

// The answer tokens a batch's loss is the mean over (text and multimodal stages; 1 per
// example for contrastive ones, whose batches are never split).
int64_t count_targets(const StageConfig& st, const text::Tokenizer& tok,
                      const std::vector<const data::Example*>& batch) {
  int64_t n = 0;
  for (const auto* ex : batch)
    n += st.kind == "clip"   ? 1
         : st.kind == "text" ? data::text_example(tok, *ex).n_targets()
                             : data::multimodal_example(tok, *ex).n_targets();
  return n;
}

// The loss of one batch (with autograd when training).
Tensor batch_loss(const models::AnymalModel& m, const StageConfig& st, const text::Tokenizer& tok,
                  const std::vector<const data::Example*>& batch, int64_t& tokens, double& flops) {
  const auto& c = m.config();
  tokens = 0;
  if (st.kind == "clip") {
    // The text an input is paired with: what a spoken question says, else the answer (the
    // caption, the sound, the motion).
    std::vector<std::vector<int32_t>> captions;
    for (const auto* ex : batch) {
      const bool spoken = st.modality == models::Modality::audio && !ex->transcript.empty();
      captions.push_back(tok.encode(spoken ? ex->transcript : ex->answer, false));
      tokens += int64_t(captions.back().size());
    }
    flops = clip_step_flops(m, st.modality, int64_t(batch.size()));
    return m.clip_loss(captions, st.modality,
                       data::load_media(batch, c, st.modality).of(st.modality));
  }
  std::vector<models::MultimodalExample> exs;
  for (const auto* ex : batch) {
    exs.push_back(st.kind == "text" ? data::text_example(tok, *ex)
                                    : data::multimodal_example(tok, *ex));
    const auto& e = exs.back();
    tokens += m.prefix_length(e) + int64_t(e.answer.size());  // positions the LM reads
  }
  flops = step_flops(m, st.kind, exs);
  models::MediaBatch media;
  if (st.kind == "multimodal") media = data::load_media(batch, c);
  return m.loss(exs, media);
}

// Follow-up turns beyond the model's context are dropped, last first (the first question and
// answer stay whole: check_context refuses those that do not fit). Returns the examples cut.
int64_t fit_follow_ups(const models::AnymalModel& m, const text::Tokenizer& tok,
                       std::vector<data::Example>& examples) {
  const int64_t ctx = m.config().lm.ctx;
  int64_t cut = 0;
  for (data::Example& ex : examples) {
    if (ex.follow_ups.empty() || ex.inputs.empty()) continue;
    bool trimmed = false;
    for (;;) {
      const models::MultimodalExample e = data::multimodal_example(tok, ex);
      if (ex.follow_ups.empty() || m.prefix_length(e) + int64_t(e.answer.size()) <= ctx) break;
      ex.follow_ups.pop_back();
      trimmed = true;
    }
    cut += trimmed;
  }
  return cut;
}

// An input and question the exported model could not take at inference is refused before the
// stage starts, not learned (nor found hours into it).
void check_context(const models::AnymalModel& m, const StageConfig& st, const text::Tokenizer& tok,
                   const std::vector<const data::Example*>& pool) {
  if (st.kind != "multimodal") return;
  const int64_t ctx = m.config().lm.ctx;
  for (const data::Example* ex : pool) {
    const models::MultimodalExample e = data::multimodal_example(tok, *ex);
    const int64_t positions = m.prefix_length(e) + int64_t(e.answer.size());
    if (positions > ctx)
      throw_error(ErrorKind::invalid_input,
                  "stage " + st.name + ": an example (" + ex->image + ex->audio + ex->imu +
                      ") takes " + std::to_string(positions) +
                      " positions, more than the context model.lm.ctx = " + std::to_string(ctx) +
                      ": raise it or use fewer input tokens");
  }
}

// The transformer blocks of the model's towers in the order a forward pass runs them (the
// inputs' towers in modality order, then the language model): ZeRO-3's units.
std::vector<nn::Module*> transformer_blocks(models::AnymalModel& m) {
  std::vector<nn::Module*> out;
  auto add = [&](auto& blocks) {
    for (auto& b : blocks) out.push_back(b.get());
  };
  add(m.vit.blocks);
  if (m.audio) add(m.audio->encoder.blocks);
  if (m.imu) add(m.imu->encoder.blocks);
  add(m.lm.blocks);
  return out;
}

// metrics.jsonl without the lines past (stage, step): what a resumed run will write again.
std::vector<LossPoint> trim_metrics(const std::string& path, int64_t stage, int64_t step) {
  std::vector<LossPoint> points;
  std::string kept, line;
  std::ifstream in(path);
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("stage")) continue;
    const int64_t s = j["stage"], t = j["step"];
    if (s > stage || (s == stage && t > step)) continue;
    kept += line + "\n";
    points.push_back({int(s), j.value("global_step", 0LL), j.value("loss", 0.0f)});
  }
  write_file_atomic(path, kept);
  return points;
}

// Records the adapters the model carries after stage `upto` (rank, alpha) in a checkpoint's
// state, so a loader can rebuild them before reading the weights.
void add_lora_state(nlohmann::json& state, const RecipeConfig& r, int64_t upto) {
  for (int64_t s = 0; s <= upto; ++s) {
    const StageConfig& st = r.stages[size_t(s)];
    if (has(st.train, "lora")) {
      state["lora"] = {{"rank", st.lora_rank}, {"alpha", st.lora_alpha}};
      return;
    }
  }
}

std::string eta(double seconds) {
  char buf[32];
  const long s = long(seconds);
  std::snprintf(buf, sizeof buf, s >= 3600 ? "%ldh%02ldm" : "%ldm%02lds",
                s >= 3600 ? s / 3600 : s / 60, s >= 3600 ? (s / 60) % 60 : s % 60);
  return buf;
}

}  // namespace

void run_recipe(const RecipeConfig& r, const std::string& dir, const TrainOptions& opt) {
  fs::create_directories(dir);
  const std::vector<std::string> existing = list_checkpoints(dir);
  if (opt.resume && existing.empty())
    throw_error(ErrorKind::invalid_input, dir + ": no checkpoint to resume from");
  if (!opt.resume && !existing.empty())
    throw_error(ErrorKind::invalid_input,
                dir +
                    " already holds checkpoints: pass --resume to continue that run, or choose "
                    "another directory");
  for (const StageConfig& st : r.stages)
    for (const StageConfig& other : r.stages)
      if (has(st.train, "lora") && has(other.train, "lora") &&
          (st.lora_rank != other.lora_rank || st.lora_alpha != other.lora_alpha))
        throw_error(ErrorKind::invalid_input,
                    r.path + ": stages " + st.name + " and " + other.name +
                        " train LoRA adapters of different rank or alpha");

  std::vector<data::Example> train;
  for (const std::string& file : r.train_data) {
    data::DatasetReport report;
    std::vector<data::Example> part = data::read_llava_jsonl(file, {}, report);
    log_info("%s: %s", file.c_str(), report.summary().c_str());
    train.insert(train.end(), std::make_move_iterator(part.begin()),
                 std::make_move_iterator(part.end()));
  }
  if (r.train_limit > 0 && int64_t(train.size()) > r.train_limit) {
    train.resize(size_t(r.train_limit));
    log_info("training on the first %lld examples (data.limit)", (long long)r.train_limit);
  }
  std::shared_ptr<GgufFile> tok_file;
  // Data parallel (opt.comm with several processes): every process takes its slice of each
  // global batch; rank 0 alone writes the run directory (sharded checkpoints aside).
  std::unique_ptr<Comm> alone;
  Comm* comm = opt.comm;
  if (!comm) comm = (alone = Comm::single()).get();
  const int world = comm->size(), rank = comm->rank();
  const bool writer = rank == 0;
  std::unique_ptr<text::Tokenizer> tok;
  if (writer) tok = run_tokenizer(r, dir, train, tok_file);
  // The others read the tokenizer rank 0 wrote (training one on a large corpus takes long:
  // this wait is not held to the collective timeout, only rank 0's own failure ends it).
  comm->barrier(kRankZeroAlone);
  if (!writer) tok = run_tokenizer(r, dir, train, tok_file);
  models::AnymalConfig mc = r.model;
  mc.lm.vocab = int64_t(tok_file->get_array("tokenizer.ggml.tokens").size());
  Rng init(r.seed);
  models::AnymalModel model(mc, init);
  if (!opt.resume) {  // a resumed run's checkpoint holds the weights
    if (!r.init_lm.empty()) load_language_model(model, *models::open_model_file(r.init_lm));
    if (!r.init_vision.empty()) load_vision_tower(model, *models::open_model_file(r.init_vision));
  }
  const nlohmann::json config_json = mc.to_json();
  if (const int64_t cut = fit_follow_ups(model, *tok, train); cut > 0)
    log_info("%lld conversations lose follow-up turns beyond the context (%lld positions)",
             (long long)cut, (long long)mc.lm.ctx);

  int64_t start_stage = 0, start_step = 0;
  if (opt.resume) {
    const nlohmann::json state = read_checkpoint_state(existing.back());
    start_stage = state.at("stage");
    start_step = state.at("step");
    if (state.at("model") != config_json)
      throw_error(ErrorKind::invalid_input, existing.back() +
                                                " was written by a different model "
                                                "config than " +
                                                r.path);
  }
  const std::string metrics_path = (fs::path(dir) / "metrics.jsonl").string();
  std::vector<LossPoint> points;
  std::ofstream metrics;
  if (writer) {
    points = trim_metrics(metrics_path, start_stage, start_step);
    metrics.open(metrics_path, std::ios::app);
  }
  int64_t global = 0;
  for (int64_t s = 0; s < start_stage; ++s) global += r.stages[size_t(s)].steps;
  // Structural changes of earlier stages (LoRA) before any checkpoint is loaded.
  for (int64_t s = 0; s < start_stage; ++s) configure_stage(model, r.stages[size_t(s)], r.seed, s);

  // A checkpoint at a stage's step 0 holds the previous stage's result (no optimizer state,
  // no adapters the new stage adds): load it before configuring the stage.
  if (opt.resume && start_step == 0) load_checkpoint(existing.back(), model, nullptr);

  for (int64_t s = start_stage; s < int64_t(r.stages.size()); ++s) {
    const StageConfig& st = r.stages[size_t(s)];
    configure_stage(model, st, r.seed, s);
    AdamWOptions ao;
    ao.lr = st.lr;
    ao.weight_decay = st.weight_decay;
    const std::vector<Tensor> trainable = model.trainable_parameters();
    // The optimizer: plain AdamW, or one whose state is partitioned across the ranks.
    std::unique_ptr<AdamW> adam;
    std::unique_ptr<ShardedAdamW> zero;
    if (opt.shard == ShardLevel::none) {
      adam = std::make_unique<AdamW>(trainable, ao);
    } else {
      std::map<const TensorImpl*, std::string> names;
      for (const auto& [name, t] : model.named_parameters()) names[t.impl()] = name;
      std::vector<std::string> trainable_names;
      for (const Tensor& t : trainable) trainable_names.push_back(names.at(t.impl()));
      zero = std::make_unique<ShardedAdamW>(trainable, trainable_names, ao, *comm, opt.shard);
    }
    int64_t step = 0;
    if (s == start_stage && opt.resume && start_step > 0) {
      load_checkpoint(existing.back(), model, adam.get());
      if (zero) zero->load(existing.back());
      step = start_step;
      global += step;
    }
    const std::vector<const data::Example*> pool = stage_examples(st, train);
    check_context(model, st, *tok, pool);
    // The global batch in micro-batches: `accumulate` per process, one after another. (A
    // contrastive stage compares every pair in the batch: each process runs it whole.)
    const bool sliced = world > 1 && st.kind != "clip";
    const int64_t parts = (sliced ? world : 1) * st.accumulate;
    if (st.batch % parts != 0)
      throw_error(ErrorKind::invalid_input,
                  "stage " + st.name + ": its batch of " + std::to_string(st.batch) +
                      " does not divide over " + std::to_string(sliced ? world : 1) +
                      " processes x " + std::to_string(st.accumulate) + " micro-batches");
    data::BatchSampler sampler(int64_t(pool.size()), r.seed, uint64_t(s) + 1);
    const WarmupCosine schedule{st.lr, st.min_lr, st.warmup, st.steps};
    const FlatLayout layout = zero ? zero->layout() : FlatLayout(trainable, world, rank);
    const int64_t n_trainable = layout.total();
    // Gradients are summed through GradSync when there is more than one pass or rank to sum
    // over, or a sharded optimizer to feed.
    std::optional<GradSync> sync;
    if (parts > 1 || zero)
      sync.emplace(trainable, layout, *comm,
                   GradSyncOptions{opt.shard >= ShardLevel::gradients, sliced, opt.bf16_reduce,
                                   opt.bucket_bytes});
    const MemoryPlan mem =
        plan_memory(model.parameter_count(), n_trainable, world, opt.shard, Precision::f32);
    log_info(
        "stage %s (%s): %lld steps of %lld, %zu examples, %lld trainable parameters; per "
        "rank: weights %.1f MiB, gradients %.1f MiB, optimizer %.1f MiB (shard %s)",
        st.name.c_str(), st.kind.c_str(), (long long)st.steps, (long long)st.batch, pool.size(),
        (long long)n_trainable, mem.weights / 1048576.0, mem.gradients / 1048576.0,
        mem.optimizer / 1048576.0, shard_level_name(opt.shard));
    if (zero) {
      zero->set_units(transformer_blocks(model), model);
      zero->shard_weights();
      if (sync) sync->set_hooks(zero->pass_hooks());
    }
    const auto stage_start = std::chrono::steady_clock::now();
    const int64_t first_step = step;
    double window_loss = 0, window_tokens = 0, window_flops = 0;
    auto window_start = std::chrono::steady_clock::now();
    for (; step < st.steps; ++step, ++global) {
      std::vector<const data::Example*> batch;
      for (int64_t i : sampler.batch(step, st.batch)) batch.push_back(pool[size_t(i)]);
      // This process's micro-batches: the global batch's parts rank·K .. rank·K + K - 1.
      std::vector<std::vector<const data::Example*>> micro;
      const int64_t per = st.batch / parts;
      for (int64_t a = 0; a < st.accumulate; ++a) {
        const int64_t first = ((sliced ? rank : 0) * st.accumulate + a) * per;
        micro.emplace_back(batch.begin() + first, batch.begin() + first + per);
      }
      // The loss is a mean over the global batch's answer tokens: each micro-batch's mean is
      // weighted by its share, so the summed gradients are those of the whole batch.
      std::vector<int64_t> targets;
      double total_targets = 0;
      for (const auto& mb : micro) {
        targets.push_back(count_targets(st, *tok, mb));
        total_targets += double(targets.back());
      }
      comm->set_context("stage " + st.name + " step " + std::to_string(step + 1));
      if (sliced) comm->allreduce_sum(&total_targets, 1);
      for (const Tensor& t : trainable) t.zero_grad();
      if (zero) zero->begin_passes();
      double sums[3] = {0, 0, 0};  // loss, tokens, flops
      for (size_t a = 0; a < micro.size(); ++a) {
        int64_t tokens = 0;
        double flops = 0;
        Tensor loss = batch_loss(model, st, *tok, micro[a], tokens, flops);
        if (parts > 1) loss = ops::scale(loss, float(double(targets[a]) / total_targets));
        if (sync)
          sync->backward(loss, a + 1 == micro.size());
        else
          autograd::backward(loss);
        sums[0] += loss.item();
        sums[1] += double(tokens);
        sums[2] += flops;
      }
      if (sliced) comm->allreduce_sum(sums, 3);
      const double step_loss = sums[0], tokens = sums[1], flops = sums[2];
      const float lr = schedule.at(step);
      if (zero) {
        zero->end_passes();
        zero->step(*sync, lr, st.clip_grad);
      } else {
        if (sync) sync->store_grads();
        clip_grad_norm(adam->params(), st.clip_grad);
        adam->step(lr);
      }
      window_loss += step_loss;
      window_tokens += tokens;
      window_flops += flops;
      const int64_t done = step + 1;
      if (done % r.log_every == 0 || done == st.steps) {
        const auto now = std::chrono::steady_clock::now();
        const double secs = std::chrono::duration<double>(now - window_start).count();
        const int64_t n = (done - 1) % r.log_every + 1;
        const float mean_loss = float(window_loss / double(n));
        const nlohmann::json m = {{"stage", s},
                                  {"stage_name", st.name},
                                  {"step", done},
                                  {"global_step", global + 1},
                                  {"loss", mean_loss},
                                  {"lr", lr},
                                  {"tokens_per_s", window_tokens / std::max(secs, 1e-9)},
                                  {"flops", window_flops},
                                  {"parameters", model.parameter_count()},
                                  {"trainable", n_trainable},
                                  {"memory_mib", mem.total() / 1048576.0},
                                  {"peak_rss_mib", peak_rss_mib()}};
        if (writer) metrics << m.dump() << "\n" << std::flush;
        points.push_back({int(s), global + 1, mean_loss});
        if (writer && opt.progress && (isatty(2) || done == st.steps)) {
          const double elapsed = std::chrono::duration<double>(now - stage_start).count();
          const double left = elapsed / double(done - first_step) * double(st.steps - done);
          std::fprintf(stderr, "%s[%s] step %lld/%lld  loss %.4f  %.0f tok/s  ETA %s   ",
                       isatty(2) ? "\r" : "", st.name.c_str(), (long long)done, (long long)st.steps,
                       double(mean_loss), window_tokens / std::max(secs, 1e-9), eta(left).c_str());
          if (done == st.steps || !isatty(2)) std::fputc('\n', stderr);
        }
        window_loss = window_tokens = window_flops = 0;
        window_start = now;
      }
      if (done % r.checkpoint_every == 0 || done == st.steps) {
        nlohmann::json state = {{"stage", s},
                                {"stage_name", st.name},
                                {"step", done},
                                {"seed", r.seed},
                                {"model", config_json}};
        add_lora_state(state, r, s);
        const std::string path = checkpoint_path(dir, s, done);
        if (zero)
          zero->save(path, model, state);  // every rank its shard, then rank 0 the manifest
        else if (writer)
          save_checkpoint(path, model, adam.get(), state);
        if (writer) {
          prune_checkpoints(dir, int(r.keep_checkpoints));
          plot_loss(points, (fs::path(dir) / "loss.png").string());
        }
      }
      if (opt.stop_after && opt.stop_after(s, done)) return;
    }
    if (zero) zero->gather_all();  // whole again: the next stage, its checkpoint and the export
    // The next stage starts from this one's end: a resume there begins at its step 0.
    if (writer && s + 1 < int64_t(r.stages.size())) {
      nlohmann::json state = {{"stage", s + 1},
                              {"stage_name", r.stages[size_t(s + 1)].name},
                              {"step", 0},
                              {"seed", r.seed},
                              {"model", config_json}};
      add_lora_state(state, r, s);
      save_checkpoint(checkpoint_path(dir, s + 1, 0), model, nullptr, state);
      prune_checkpoints(dir, int(r.keep_checkpoints));
    }
  }
  if (!writer) {
    comm->barrier(kRankZeroAlone);  // rank 0 exports
    return;
  }
  fs::create_directories(fs::path(dir) / "export");
  models::export_mmproj(model, (fs::path(dir) / "export" / "mmproj.gguf").string(), GgmlType::f16);
  models::export_language_model(model, *tok_file,
                                (fs::path(dir) / "export" / "model.gguf").string(), GgmlType::f16);
  log_info("exported %s/export/model.gguf and mmproj.gguf", dir.c_str());
  comm->barrier(kRankZeroAlone);
}

std::unique_ptr<models::AnymalModel> load_trained_model(const std::string& checkpoint) {
  const nlohmann::json state = read_checkpoint_state(checkpoint);
  if (!state.contains("model"))
    throw_error(ErrorKind::invalid_input, checkpoint + ": no model config in the checkpoint");
  const models::AnymalConfig c = models::AnymalConfig::from_json(state["model"], checkpoint);
  Rng rng(0);
  auto model = std::make_unique<models::AnymalModel>(c, rng);
  if (state.contains("lora"))
    model->lm.enable_lora(state["lora"].at("rank").get<int64_t>(),
                          state["lora"].at("alpha").get<float>(), rng);
  load_checkpoint(checkpoint, *model, nullptr);
  return model;
}

void export_checkpoint(const std::string& checkpoint, const std::string& out_dir, GgmlType type) {
  const fs::path tok = fs::path(checkpoint).parent_path() / "tokenizer.gguf";
  if (!fs::exists(tok))
    throw_error(ErrorKind::invalid_input, "no tokenizer.gguf beside " + checkpoint +
                                              " (a checkpoint is read with its run directory)");
  auto model = load_trained_model(checkpoint);
  fs::create_directories(out_dir);
  models::export_mmproj(*model, (fs::path(out_dir) / "mmproj.gguf").string(), type);
  models::export_language_model(*model, *GgufFile::open(tok.string()),
                                (fs::path(out_dir) / "model.gguf").string(), type);
}

}  // namespace anymal::train
