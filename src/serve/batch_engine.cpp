#include "serve/batch_engine.h"

#include "core/thread_pool.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/log.h"
#include "core/thread_pool.h"
#include "models/llm/llama_forward.h"
#include "serve/stop_strings.h"

namespace anymal::serve {

struct BatchEngine::Slot {
  Slot(const models::LlamaConfig& c, int64_t n_ctx) : cache(c, n_ctx) {}
  models::KvCache cache;
  std::shared_ptr<Completion> completion;  // null: the slot is free
  GenerationJob job;
  uint64_t admitted = 0;  // admission order: the oldest unprefilled request prefills first
  Clock::time_point deadline;
  bool ready = false;              // prompt embeddings built
  std::vector<float> prompt_embd;  // [n_prompt, n_embd]
  int64_t n_prompt = 0, n_prefilled = 0, n_generated = 0;
  bool generating = false;  // prompt done; last_token is next to evaluate
  bool started = false;     // visible text was sent (leading spaces are dropped before)
  int32_t last_token = 0;
  std::vector<int32_t> history;
  std::unique_ptr<infer::Sampler> sampler;
  std::unique_ptr<text::StreamDecoder> decoder;
  std::unique_ptr<StopStrings> stops;
};

namespace {

ApiError server_error(int status, const std::string& message) {
  return ApiError(status, "server_error", message);
}

}  // namespace

BatchEngine::BatchEngine(const models::LlamaModel& model, const text::Tokenizer& tok,
                         const models::Encoders* encoders, ThreadPool* pool, Metrics& metrics,
                         EngineOptions options)
    : model_(model),
      tok_(tok),
      enc_(encoders),
      pool_(pool),
      metrics_(metrics),
      opt_(options),
      image_cache_(64),
      ws_(model.config(), options.n_slots + options.prefill_chunk),
      logits_(size_t((options.n_slots + 1) * model.config().n_vocab)) {
  ANYMAL_ASSERT(opt_.n_slots >= 1 && opt_.prefill_chunk >= 1 && opt_.n_ctx >= 2);
  for (int32_t id = 0; id < int32_t(model.config().n_vocab); ++id)
    if (tok.is_end_of_generation(id)) eog_ids_.push_back(id);
  for (int i = 0; i < opt_.n_slots; ++i)
    slots_.push_back(std::make_unique<Slot>(model.config(), opt_.n_ctx));
  thread_ = std::thread([this] { run(); });
}

BatchEngine::~BatchEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (auto& [job, completion] : queue_)
    completion->fail(server_error(503, "the server is shutting down"));
  for (auto& s : slots_)
    if (s->completion) s->completion->fail(server_error(503, "the server is shutting down"));
}

int64_t BatchEngine::prompt_positions(const GenerationJob& job) const {
  int64_t n = 0;
  for (const auto& piece : job.pieces) n += int64_t(piece.size());
  if (model_.cross_attention()) return n;  // inputs are attended to, not in the sequence
  for (const PromptInput& in : job.inputs)
    if (enc_ && enc_->has(in.kind)) n += enc_->n_tokens(in.kind);
  return n;
}

std::shared_ptr<Completion> BatchEngine::submit(GenerationJob job) {
  ANYMAL_ASSERT(job.pieces.size() == job.inputs.size() + 1);
  for (const PromptInput& in : job.inputs)
    if (!enc_ || !enc_->has(in.kind))
      throw bad_request(std::string("this model has no ") + models::modality_name(in.kind) +
                            (in.kind == models::Modality::image ? " projector" : " encoder") +
                            ": send text" + (enc_ && enc_->vision ? " and images" : "") + " only",
                        "messages");
  const int64_t n = prompt_positions(job);
  if (n == 0) throw bad_request("the prompt is empty", "messages");
  if (n + 1 > opt_.n_ctx)
    throw ApiError(400, "invalid_request_error",
                   "the prompt takes " + std::to_string(n) +
                       " positions, more than the context of " + std::to_string(opt_.n_ctx) +
                       " leaves room for: shorten the conversation",
                   "messages", "context_length_exceeded");
  const int64_t room = opt_.n_ctx - n;
  if (job.max_tokens <= 0 || job.max_tokens > room) job.max_tokens = room;
  auto completion = std::make_shared<Completion>();
  {
    std::lock_guard lock(mutex_);
    // Requests whose clients left while waiting give their places up now.
    std::erase_if(queue_, [](const auto& q) { return q.second->cancelled(); });
    if (queue_.size() >= opt_.max_queue)
      throw ApiError(429, "rate_limit_error",
                     "the server is busy: " + std::to_string(queue_.size()) +
                         " requests are waiting; retry later",
                     "", "rate_limit_exceeded");
    queue_.emplace_back(std::move(job), completion);
  }
  wake_.notify_all();
  return completion;
}

BatchEngine::Load BatchEngine::load() {
  std::lock_guard lock(mutex_);
  return {int64_t(queue_.size()), active_};
}

void BatchEngine::run() {
  ThreadPoolScope scope(pool_);
  uint64_t admissions = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto busy = [&] {
        return std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->completion; });
      };
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || busy(); });
      if (stopping_) return;
      for (auto& s : slots_) {
        if (s->completion) continue;
        while (!queue_.empty() && !s->completion) {
          auto [job, completion] = std::move(queue_.front());
          queue_.pop_front();
          if (completion->cancelled()) continue;  // its client left while it waited
          s->completion = std::move(completion);
          s->job = std::move(job);
          s->admitted = admissions++;
          s->deadline = s->completion->submitted + opt_.timeout;
        }
      }
      publish_load();
    }
    try {
      step();
    } catch (const std::exception& e) {
      // Nothing a request can send should get here (inputs are checked at submit); fail the
      // running requests rather than the server.
      log_error("serve: a batch step failed: %s", e.what());
      for (auto& s : slots_)
        if (s->completion) {
          s->completion->fail(server_error(500, std::string("internal error: ") + e.what()));
          release(*s);
        }
    }
    std::lock_guard lock(mutex_);
    publish_load();
  }
}

void BatchEngine::publish_load() {
  active_ =
      std::count_if(slots_.begin(), slots_.end(), [](auto& s) { return s->completion != nullptr; });
  metrics_.set_queue(int64_t(queue_.size()), active_);
}

void BatchEngine::admit(Slot& s) {
  const int64_t E = model_.config().n_embd;
  GenerationJob& job = s.job;
  s.n_prompt = prompt_positions(job);
  s.prompt_embd.resize(size_t(s.n_prompt * E));
  int64_t row = 0;
  for (size_t i = 0; i < job.pieces.size(); ++i) {
    const auto& piece = job.pieces[i];
    models::llama_token_embeddings(model_, piece.data(), int64_t(piece.size()),
                                   s.prompt_embd.data() + row * E);
    row += int64_t(piece.size());
    s.history.insert(s.history.end(), piece.begin(), piece.end());
    if (i == job.inputs.size()) break;
    const PromptInput& in = job.inputs[i];
    Tensor embd = image_cache_.get_or_compute(in.bytes, [&] {
      switch (in.kind) {
        case models::Modality::audio:
          return enc_->audio->embed_audio(in.audio);
        case models::Modality::imu:
          return enc_->imu->embed_imu(in.imu);
        default:
          return enc_->vision->embed({in.image});
      }
    });
    const int64_t n = enc_->n_tokens(in.kind);
    ANYMAL_ASSERT(embd.numel() == n * E);
    if (const models::CrossAttention* xa = model_.cross_attention()) {
      xa->attach(s.cache.memory, embd.data<float>(), n);
      continue;
    }
    std::memcpy(s.prompt_embd.data() + row * E, embd.data<float>(), size_t(n * E) * sizeof(float));
    row += n;
  }
  job.inputs.clear();  // the decoded inputs are no longer needed
  s.sampler = std::make_unique<infer::Sampler>(job.sampling);
  s.decoder = std::make_unique<text::StreamDecoder>(tok_);
  s.stops = std::make_unique<StopStrings>(job.stop);
  s.ready = true;
}

void BatchEngine::step() {
  const auto now = Clock::now();
  for (auto& s : slots_) {
    if (!s->completion) continue;
    if (s->completion->cancelled()) {
      release(*s);
    } else if (now > s->deadline) {
      s->completion->fail(server_error(503, "the request took longer than the server's limit of " +
                                                std::to_string(opt_.timeout.count() / 1000) +
                                                " s"));
      release(*s);
    }
  }
  const int64_t E = model_.config().n_embd, n_vocab = model_.config().n_vocab;
  std::vector<models::SeqInput> seqs;
  std::vector<Slot*> owners;
  for (auto& s : slots_)
    if (s->completion && s->generating) {
      seqs.push_back({&s->cache, &s->last_token, nullptr, 1, true});
      owners.push_back(s.get());
    }
  // New prompts, oldest first, share the step with the running streams: at most
  // prefill_chunk positions in all, so the streams never wait long for their next token.
  std::vector<Slot*> waiting;
  for (auto& s : slots_)
    if (s->completion && !s->generating) waiting.push_back(s.get());
  std::sort(waiting.begin(), waiting.end(),
            [](const Slot* a, const Slot* b) { return a->admitted < b->admitted; });
  int64_t budget = std::min(opt_.prefill_chunk, ws_.n_batch - int64_t(seqs.size()));
  std::vector<std::pair<Slot*, int64_t>> prefills;
  for (Slot* p : waiting) {
    if (budget == 0) break;
    if (!p->ready) {
      try {
        admit(*p);
      } catch (const Error& e) {  // e.g. an image the vision tower cannot take
        p->completion->fail(bad_request(e.what(), "messages"));
        release(*p);
        continue;
      }
    }
    const int64_t chunk = std::min(budget, p->n_prompt - p->n_prefilled);
    seqs.push_back({&p->cache, nullptr, p->prompt_embd.data() + p->n_prefilled * E, chunk,
                    p->n_prefilled + chunk == p->n_prompt});
    owners.push_back(p);
    prefills.emplace_back(p, chunk);
    budget -= chunk;
  }
  if (seqs.empty()) return;
  models::llama_eval_batch(model_, seqs, ws_, logits_.data());
  int64_t rows = 0;
  for (const auto& q : seqs) rows += q.n;
  metrics_.batch_step(rows);
  for (auto [p, chunk] : prefills) {
    p->n_prefilled += chunk;
    if (p->n_prefilled == p->n_prompt) {
      p->generating = true;
      p->prompt_embd = {};
    }
  }
  // Each slot samples from its own logits row with its own sampler, so the rows are sampled in
  // parallel (sorting the vocabulary of 8 streams costs as much as a small model's step); the
  // tokens are then emitted in order.
  std::vector<int64_t> logit_row(seqs.size(), -1);
  int64_t n_rows = 0;
  for (size_t i = 0; i < seqs.size(); ++i)
    if (seqs[i].want_logits) logit_row[i] = n_rows++;
  std::vector<int32_t> sampled(seqs.size(), -1);
  parallel_for(int64_t(seqs.size()), grain_per_thread(int64_t(seqs.size())),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t i = lo; i < hi; ++i) {
                   if (logit_row[size_t(i)] < 0) continue;
                   Slot& s = *owners[size_t(i)];
                   float* row = logits_.data() + logit_row[size_t(i)] * n_vocab;
                   if (s.job.ignore_eos)
                     for (int32_t id : eog_ids_) row[id] = -std::numeric_limits<float>::infinity();
                   sampled[size_t(i)] = s.sampler->sample(row, n_vocab, s.history);
                 }
               });
  for (size_t i = 0; i < seqs.size(); ++i)
    if (logit_row[i] >= 0) emit(*owners[i], sampled[i]);
}

void BatchEngine::emit(Slot& s, int32_t token) {
  if (tok_.is_end_of_generation(token)) return finish(s, FinishReason::stop);
  if (s.n_generated++ == 0)
    metrics_.time_to_first_token(
        std::chrono::duration<double>(Clock::now() - s.completion->submitted).count());
  std::string text = s.decoder->push(token);
  if (!s.started) {  // the reply's leading spaces (" cabbage" after "ASSISTANT:") are dropped
    text.erase(0, std::min(text.size(), text.find_first_not_of(' ')));
    s.started = !text.empty();
  }
  s.completion->append(s.stops->push(text));
  if (s.stops->stopped()) return finish(s, FinishReason::stop);
  if (s.n_generated >= s.job.max_tokens || s.cache.n_past >= s.cache.n_ctx)
    return finish(s, FinishReason::length);
  s.last_token = token;
  s.history.push_back(token);
}

void BatchEngine::finish(Slot& s, FinishReason reason) {
  if (!s.stops->stopped()) {
    std::string tail = s.decoder->flush();
    if (!s.started) tail.erase(0, std::min(tail.size(), tail.find_first_not_of(' ')));
    s.completion->append(s.stops->push(tail));
    s.completion->append(s.stops->flush());
  }
  s.completion->finish(reason, {s.n_prompt, s.n_generated});
  metrics_.tokens(s.n_prompt, s.n_generated);
  metrics_.request_latency(
      std::chrono::duration<double>(Clock::now() - s.completion->submitted).count());
  release(s);
}

void BatchEngine::release(Slot& s) {
  s.completion.reset();
  s.job = {};
  s.cache.n_past = 0;
  s.cache.memory.clear();
  s.ready = s.generating = s.started = false;
  s.prompt_embd = {};
  s.n_prompt = s.n_prefilled = s.n_generated = 0;
  s.history.clear();
  s.sampler.reset();
  s.decoder.reset();
  s.stops.reset();
}

}  // namespace anymal::serve
