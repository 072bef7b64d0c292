// POST /v1/chat/completions bodies in the OpenAI schema, parsed and validated into what the
// engine needs. Every refusal is an ApiError 400 naming the field (`messages[2].role`), so a
// client learns what to fix; nothing here touches the model.
//
// Accepted: messages (system/developer, user, assistant; content a string or a list of
// `text`, `image_url` (a base64 data URI), `input_audio` ({"data": base64, "format": "wav"},
// also flac or ogg) and, our extension for motion, `input_imu` ({"data": base64 of the
// CSV, "format": "csv"}) parts), max_tokens (or
// max_completion_tokens), temperature, top_p, seed, stop (string or up to 4 strings), stream,
// stream_options.include_usage, n (only 1), model (echoed), and llama.cpp's ignore_eos. Other
// fields are ignored, as llama.cpp's server does, so clients that send e.g. `user` or
// `presence_penalty` still work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/anymal/media.h"

namespace anymal::serve {

enum class Role { system, user, assistant };

struct ChatInput {
  models::Modality kind = models::Modality::image;
  std::string media_type;  // image/png (the data URI's), audio/wav, text/csv
  std::vector<uint8_t> bytes;
};

struct ChatMessage {
  Role role = Role::user;
  std::string text;               // the text parts, joined by newlines
  std::vector<ChatInput> inputs;  // the image, audio and imu parts, in order
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  std::optional<int64_t> max_tokens;
  float temperature = 0.8f;  // llama.cpp's server default; 0 is greedy
  float top_p = 0.95f;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
  bool ignore_eos = false;     // llama.cpp's extension: generate max_tokens (benchmarks)
};

struct RequestLimits {
  size_t max_messages = 256;
  size_t max_inputs = 8;  // images, sounds and motions per request
  int json_max_depth = 32;
};

// Throws ApiError (400) for malformed JSON, wrong types, missing or out-of-range fields,
// unknown roles, non-image or non-data-URI images, audio or motion that is not base64 or in
// an unknown format, and more than the limits allow.
ChatRequest parse_chat_request(std::string_view body, const RequestLimits& limits = {});

}  // namespace anymal::serve
