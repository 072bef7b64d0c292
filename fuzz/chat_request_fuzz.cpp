// libFuzzer target for the server's request parser: any bytes as a POST /v1/chat/completions
// body either parse into a request or throw serve::ApiError (a 4xx for the client), never
// anything else; and any bytes as a data URI likewise. Build and run with
// fuzz/run.sh 600 chat_request.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve/api_error.h"
#include "serve/chat_request.h"
#include "serve/data_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t sink = 0;
  try {
    anymal::serve::ChatRequest r = anymal::serve::parse_chat_request(text);
    for (const auto& m : r.messages) {
      sink += m.text.size();
      for (const auto& in : m.inputs) sink += in.bytes.size() + in.media_type.size();
    }
  } catch (const anymal::serve::ApiError& e) {
    if (e.status() < 400 || e.status() > 499) __builtin_trap();
    sink += e.body().dump().size();
  }
  try {
    sink += anymal::serve::parse_data_uri(text, "url").bytes.size();
  } catch (const anymal::serve::ApiError&) {
  }
  (void)sink;
  return 0;
}
