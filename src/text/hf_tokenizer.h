// Hugging Face tokenizer files <-> GGUF tokenizer.ggml.* keys, as llama.cpp's
// convert_hf_to_gguf.py writes them.
//
// In: tokenizer.model (SentencePiece; written as model "llama", pre "default") or else
// tokenizer.json with a byte-level BPE model (model "gpt2", the pre-tokenizer recognised from
// its regexes); added_tokens.json and tokenizer_config.json's added_tokens_decoder mark
// user-defined and control tokens; special ids come from tokenizer.json's added tokens named
// by tokenizer_config.json, then from config.json's *_token_id; add_bos_token, add_eos_token,
// add_prefix_space and chat_template from tokenizer_config.json. The vocabulary is padded with
// [PADn] to config.json's vocab_size when that is larger.
// Out: tokenizer.model or tokenizer.json, and tokenizer_config.json, from a GGUF.
// Missing or malformed files throw anymal::Error naming the file and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace anymal::text {

// `config` is the directory's config.json; vocab_size <= 0 means "as many as the tokenizer".
// Returns the number of tokens written.
int64_t hf_tokenizer_to_gguf(const std::string& dir, const nlohmann::json& config,
                             int64_t vocab_size, GgufWriter& out);

// Writes the tokenizer files for `file`'s vocabulary into dir, and adds the special token ids
// to `config` (the config.json being written).
void gguf_tokenizer_to_hf(const GgufFile& file, const std::string& dir, nlohmann::json& config);

// Reads a JSON file; throws invalid_input naming it when it is not valid JSON.
nlohmann::json read_json_file(const std::string& path);

}  // namespace anymal::text
