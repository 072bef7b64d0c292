// libFuzzer target for the Hugging Face file parsers: any bytes either parse or throw
// anymal::Error, as a safetensors file and as a SentencePiece tokenizer.model.
// Build and run with fuzz/run.sh 600 safetensors.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "formats/safetensors.h"
#include "text/sentencepiece_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t sink = 0;
  try {
    auto f = anymal::SafetensorsFile::parse(data, size, "fuzz.safetensors");
    // Touch what a loader would: every tensor's first and last byte.
    for (const auto& t : f->tensors())
      if (t.nbytes > 0) sink += t.data[0] + t.data[t.nbytes - 1];
  } catch (const anymal::Error&) {
  }
  try {
    auto m = anymal::text::SentencePieceModel::parse(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.model");
    sink += m.serialize().size();
  } catch (const anymal::Error&) {
  }
  (void)sink;
  return 0;
}
