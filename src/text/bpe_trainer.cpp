#include "text/bpe_trainer.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/error.h"
#include "text/pre_tokenizer.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

}  // namespace

BpeVocab train_bpe(const std::vector<std::string>& texts, int64_t vocab_size) {
  if (vocab_size < 259)
    throw_error(ErrorKind::invalid_input, "BPE vocabulary size " + std::to_string(vocab_size) +
                                              " is below 259 (256 bytes and 3 control tokens)");
  BpeVocab v;
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(byte_to_unicode(uint8_t(b)));
    v.types.push_back(1);  // normal, as GPT-2 vocabularies mark their byte tokens
  }
  // Distinct words with their counts, each as byte symbols.
  const PreTokenizer pre("gpt-2");
  std::map<std::string, int64_t> counts;
  for (const std::string& t : texts)
    for (const std::string& w : pre.split(t)) ++counts[w];
  std::vector<Word> words;
  for (const auto& [w, n] : counts) {
    Word word;
    word.count = n;
    for (unsigned char c : w) word.symbols.push_back(int32_t(c));
    words.push_back(std::move(word));
  }
  const int64_t n_merges = vocab_size - 256 - 3;
  for (int64_t m = 0; m < n_merges; ++m) {
    std::unordered_map<uint64_t, int64_t> pairs;
    for (const Word& w : words)
      for (size_t i = 0; i + 1 < w.symbols.size(); ++i)
        pairs[pair_key(w.symbols[i], w.symbols[i + 1])] += w.count;
    uint64_t best = 0;
    int64_t best_count = 1;
    std::string best_text;
    for (const auto& [key, n] : pairs) {
      if (n < best_count) continue;
      const std::string text = v.tokens[size_t(key >> 32)] + " " + v.tokens[size_t(uint32_t(key))];
      if (n > best_count || text < best_text) {
        best = key;
        best_count = n;
        best_text = text;
      }
    }
    if (best_text.empty()) break;  // no pair occurs twice
    const int32_t a = int32_t(best >> 32), b = int32_t(uint32_t(best));
    const int32_t id = int32_t(v.tokens.size());
    v.tokens.push_back(v.tokens[size_t(a)] + v.tokens[size_t(b)]);
    v.types.push_back(1);
    v.merges.push_back(best_text);
    for (Word& w : words) {
      std::vector<int32_t> out;
      out.reserve(w.symbols.size());
      for (size_t i = 0; i < w.symbols.size(); ++i) {
        if (i + 1 < w.symbols.size() && w.symbols[i] == a && w.symbols[i + 1] == b) {
          out.push_back(id);
          ++i;
        } else {
          out.push_back(w.symbols[i]);
        }
      }
      w.symbols = std::move(out);
    }
  }
  v.bos = int32_t(v.tokens.size());
  for (const char* s : {"<s>", "</s>", "<pad>"}) {
    v.tokens.push_back(s);
    v.types.push_back(3);
  }
  v.eos = v.bos + 1;
  v.pad = v.bos + 2;
  return v;
}

void BpeVocab::write_gguf(GgufWriter& out) const {
  out.set_string("tokenizer.ggml.model", "gpt2");
  out.set_string("tokenizer.ggml.pre", "gpt-2");
  out.set_strings("tokenizer.ggml.tokens", tokens);
  out.set_i32s("tokenizer.ggml.token_type", types);
  out.set_strings("tokenizer.ggml.merges", merges);
  out.set_u32("tokenizer.ggml.bos_token_id", uint32_t(bos));
  out.set_u32("tokenizer.ggml.eos_token_id", uint32_t(eos));
  out.set_u32("tokenizer.ggml.padding_token_id", uint32_t(pad));
  out.set_bool("tokenizer.ggml.add_bos_token", true);
  out.set_bool("tokenizer.ggml.add_eos_token", false);
}

}  // namespace anymal::text
