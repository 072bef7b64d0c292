// Re-encodes a GGUF model's weight matrices in another ggml type (what `anymal quantize` runs).
// Every tensor with two or more dims whose rows fit the target's block size is converted
// (dequantize -> quantize), with llama-quantize's per-tensor choices (the output projection
// in q6_K; q4_K means its Q4_K_M mix); vectors (norms, biases) and tensors that do not fit are
// copied as they are. Metadata is copied, general.file_type is set as llama.cpp does, and the
// output is written atomically.
#pragma once

#include <string>

#include "core/ggml_types.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace anymal {

struct QuantizeReport {
  int converted = 0, kept = 0;
  size_t bytes_in = 0, bytes_out = 0;
};

QuantizeReport quantize_gguf(const std::string& in_path, const std::string& out_path,
                             GgmlType type);

// The same on an opened file: metadata and re-encoded tensors go to `out` (kept tensors are
// referenced from `in`, which must outlive the write).
QuantizeReport quantize_into(const std::shared_ptr<GgufFile>& in, GgmlType type, GgufWriter& out);

}  // namespace anymal
