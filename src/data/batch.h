// Turns dataset examples into what the model trains on, exactly as inference will present
// them: the user turn written with LLaVA's chat template ("USER: <image>\nQ ASSISTANT:", or
// <audio> / <imu>), split at the input and tokenized as split_media_prompt does (BOS first),
// the answer as " A" + EOS; images preprocessed as preprocess_llava does for the tower, audio
// and motion windowed as signal_features.h does.
// BatchSampler draws a deterministic order: a fresh permutation of the examples every epoch,
// a pure function of (seed, stream, position), so a resumed run sees the same batches.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "models/anymal/anymal_model.h"
#include "text/tokenizer.h"

namespace anymal::data {

models::MultimodalExample multimodal_example(const text::Tokenizer& tok, const Example& ex);
// The whole exchange as text for language-model pretraining: every token after BOS a target.
models::MultimodalExample text_example(const text::Tokenizer& tok, const Example& ex);
// The string the tokenizer is trained on for an example (what the model will read).
std::string example_text(const Example& ex);

// Images of the examples (those with one), [n, 3, S, S] normalized with mean/std.
Tensor load_pixels(const std::vector<const Example*>& examples, int64_t image_size,
                   const float mean[3], const float std[3]);
// The inputs of the examples (of one modality, unless `only` is none), per modality in order,
// as the model's towers read them.
models::MediaBatch load_media(const std::vector<const Example*>& examples,
                              const models::AnymalConfig& c,
                              models::Modality only = models::Modality::none);

class BatchSampler {
 public:
  BatchSampler(int64_t n_examples, uint64_t seed, uint64_t stream);
  // Indices of the batch at `step` (batch_size of them).
  std::vector<int64_t> batch(int64_t step, int64_t batch_size);

 private:
  int64_t n_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> perm_;
};

}  // namespace anymal::data
