// libFuzzer target for the GGUF reader: any bytes either parse or throw anymal::Error.
// Build and run with fuzz/run.sh.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "formats/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto g = anymal::GgufFile::parse(data, size, "fuzz.gguf");
    // Touch what a loader would: every value's text and every tensor's bytes.
    size_t sink = 0;
    for (auto& [key, value] : g->metadata()) sink += value.str().size();
    for (const auto& t : g->tensors())
      if (t.nbytes > 0) sink += g->tensor_data(t)[t.nbytes - 1];
    (void)sink;
  } catch (const anymal::Error&) {
  }
  return 0;
}
