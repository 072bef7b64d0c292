// From a parsed chat request to what the engine runs: the conversation written in the model's
// chat template (inputs as <image>, <audio>, <imu> markers where their messages begin, as
// `anymal ask` puts them), tokenized around the inputs, the inputs decoded (images at most
// max_image_pixels, audio at most 30 s, motion CSVs within formats/imu's bounds), and the
// sampling settings. Throws ApiError 400 for what the model cannot take.
#pragma once

#include "models/anymal/chat_template.h"
#include "serve/batch_engine.h"
#include "serve/chat_request.h"

namespace anymal::serve {

struct JobSettings {
  models::ChatTemplate chat_template = models::ChatTemplate::llava;
  int64_t max_image_pixels = int64_t{1} << 24;
  int64_t n_ctx = 2048;  // max_tokens above it is refused (below, capped to what is left)
  uint64_t seed = 0;     // when the request names none
  // > 0: images are kept padded and resized to this side (LLaVA's first steps) until encoded,
  // which bounds what a queued request holds.
  int vision_image_size = 0;
};

GenerationJob make_generation_job(const ChatRequest& req, const text::Tokenizer& tok,
                                  const JobSettings& settings);

}  // namespace anymal::serve
