// Continuous batching: one engine thread serves every request of the server with one model.
// Requests wait in a bounded queue, take one of n_slots sequence slots (each with its own KV
// cache, allocated once), and leave when done. Every step is one batched forward pass: one
// token for each generating sequence plus at most prefill_chunk prompt positions of newly
// admitted requests (oldest first), so running streams keep flowing while new prompts are read.
// Images are encoded (through the shared embedding cache) when their request is admitted.
// A cancelled request (its client went away) or one past its deadline leaves at the next step.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/thread_pool.h"
#include "formats/image.h"
#include "formats/imu.h"
#include "infer/image_cache.h"
#include "infer/sampler.h"
#include "models/anymal/encoders.h"
#include "models/llm/llama.h"
#include "models/llm/llama_forward.h"
#include "serve/completion.h"
#include "serve/metrics.h"
#include "text/tokenizer.h"

namespace anymal::serve {

struct EngineOptions {
  int n_slots = 4;              // sequences decoded together
  int64_t n_ctx = 2048;         // positions per slot
  size_t max_queue = 64;        // waiting requests beyond the slots; more get 429
  int64_t prefill_chunk = 128;  // prompt positions per step, over all new requests
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // per request, queue included
};

// An image, a sound or a motion of a prompt, decoded (bounded in size) until it is encoded.
struct PromptInput {
  models::Modality kind = models::Modality::image;
  std::vector<uint8_t> bytes;  // the encoded file (the embedding cache's key)
  Image image;                 // image: decoded
  std::vector<float> audio;    // audio: 16 kHz mono, at most 30 s
  ImuTrace imu;                // imu: resampled to 50 Hz
};

// What a request asks of the model: token pieces with an input between each two
// (pieces.size() == inputs.size() + 1), and how to generate.
struct GenerationJob {
  std::vector<std::vector<int32_t>> pieces;
  std::vector<PromptInput> inputs;
  int64_t max_tokens = 0;  // 0: until the context is full
  infer::SamplerOptions sampling;
  std::vector<std::string> stop;
  bool ignore_eos = false;  // end-of-generation tokens are never sampled
};

class BatchEngine {
 public:
  // encoders may be null (text only), as may any tower in it. The engine thread runs its
  // kernels on `pool`.
  BatchEngine(const models::LlamaModel& model, const text::Tokenizer& tok,
              const models::Encoders* encoders, ThreadPool* pool, Metrics& metrics,
              EngineOptions options);
  ~BatchEngine();  // stops the thread; unfinished requests fail with 503

  // Queues a request. Throws ApiError 400 when the prompt does not fit the context (or has
  // an input the model has no encoder for) and 429 when the queue is full.
  std::shared_ptr<Completion> submit(GenerationJob job);
  // Positions a job's prompt takes (inputs included, unless the model cross-attends to them).
  int64_t prompt_positions(const GenerationJob& job) const;

  const EngineOptions& options() const { return opt_; }
  const models::VisionModel* vision() const { return enc_ ? enc_->vision.get() : nullptr; }
  const models::Encoders* encoders() const { return enc_; }
  struct Load {
    int64_t queued = 0, active = 0;
  };
  Load load();
  const infer::ImageEmbeddingCache& image_cache() const { return image_cache_; }

 private:
  struct Slot;
  void run();
  void admit(Slot& slot);
  void step();
  void emit(Slot& slot, int32_t token);
  void finish(Slot& slot, FinishReason reason);
  void release(Slot& slot);
  void publish_load();  // with mutex_ held

  const models::LlamaModel& model_;
  const text::Tokenizer& tok_;
  const models::Encoders* enc_;
  ThreadPool* pool_;
  Metrics& metrics_;
  EngineOptions opt_;
  infer::ImageEmbeddingCache image_cache_;
  models::LlamaWorkspace ws_;
  std::vector<float> logits_;
  std::vector<int32_t> eog_ids_;  // end-of-generation tokens (masked for ignore_eos)
  std::vector<std::unique_ptr<Slot>> slots_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<GenerationJob, std::shared_ptr<Completion>>> queue_;
  bool stopping_ = false;
  int64_t active_ = 0;  // busy slots as of the last step, for load()
  std::thread thread_;
};

}  // namespace anymal::serve
