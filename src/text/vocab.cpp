#include "text/vocab.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

// tokenizer.ggml.token_type (llama.cpp's llama_token_type: 1 normal, 2 unknown, 3 control,
// 4 user-defined, 5 unused, 6 byte) as attributes.
uint32_t attr_of_type(int64_t type) {
  static constexpr uint32_t kAttr[] = {attr_undefined,    attr_normal, attr_unknown, attr_control,
                                       attr_user_defined, attr_unused, attr_byte};
  return type >= 0 && type < 7 ? kAttr[type] : attr_undefined;
}

// Texts llama.cpp treats as "end of turn" / "end of generation" whatever their declared type
// (llama_vocab::impl::load auto-detection, as of the pinned commit).
constexpr std::string_view kEotTexts[] = {"<|eot_id|>",    "<|im_end|>",           "<|end|>",
                                          "<end_of_turn>", "<|endoftext|>",        "<EOT>",
                                          "_<EOT>",        "<｜end▁of▁sentence｜>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",    "<|im_end|>", "<|end|>", "<end_of_turn>",
                                          "<|endoftext|>", "<|eom_id|>", "<EOT>",   "_<EOT>"};

[[noreturn]] void fail(const GgufFile& file, const std::string& what) {
  throw_error(ErrorKind::invalid_input, file.path() + ": " + what);
}

const GgufArray& array_of(const GgufFile& file, const std::string& key, const char* what) {
  const GgufValue* v = file.find(key);
  if (!v) fail(file, "missing key " + key + " (" + what + ")");
  if (v->type != GgufType::array) {
    fail(file, "key " + key + " is a " + gguf_type_name(v->type) + ", expected an array");
  }
  return *v->array;
}

std::string lowercase(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <size_t N>
bool one_of(std::string_view s, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

void read_tokens(const GgufFile& file, Vocab& v) {
  const GgufArray& texts = array_of(file, "tokenizer.ggml.tokens", "the vocabulary");
  if (texts.elem != GgufType::string) {
    fail(file, std::string("tokenizer.ggml.tokens holds ") + gguf_type_name(texts.elem) +
                   " values, expected strings");
  }
  const size_t n = texts.strings.size();
  if (n == 0) fail(file, "tokenizer.ggml.tokens is empty");
  if (n > size_t(INT32_MAX)) fail(file, "tokenizer.ggml.tokens has too many entries");

  const GgufArray* scores = file.find("tokenizer.ggml.scores")
                                ? &array_of(file, "tokenizer.ggml.scores", "token scores")
                                : nullptr;
  if (scores && (scores->size() < n || (scores->floats.empty() && scores->ints.empty()))) {
    fail(file, "tokenizer.ggml.scores has " + std::to_string(scores->size()) + " numbers for " +
                   std::to_string(n) + " tokens");
  }
  const GgufArray* types = file.find("tokenizer.ggml.token_type")
                               ? &array_of(file, "tokenizer.ggml.token_type", "token types")
                               : nullptr;
  if (types && types->ints.size() < n) {
    fail(file, "tokenizer.ggml.token_type has " + std::to_string(types->ints.size()) +
                   " integers for " + std::to_string(n) + " tokens");
  }

  v.tokens.resize(n);
  v.token_to_id.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData& t = v.tokens[i];
    t.text = texts.strings[i];
    // llama.cpp gives empty entries a placeholder name so they never match text.
    if (t.text.empty()) t.text = "[EMPTY_" + std::to_string(i) + "]";
    // A duplicate text maps to its last id, as in llama.cpp at the pinned commit.
    v.token_to_id[t.text] = int32_t(i);
    if (scores) {
      t.score = scores->floats.empty() ? float(scores->ints[i]) : float(scores->floats[i]);
    }
    if (types) t.attr = attr_of_type(types->ints[i]);
  }
}

// An id key overrides the default when it names a token; out-of-range values are ignored and
// out-of-range defaults disabled, as llama.cpp does.
void read_id(const GgufFile& file, const Vocab& v, const std::string& key, int32_t& id) {
  if (id >= v.n_tokens()) id = -1;
  const int64_t value = file.get_int(key, -1);
  if (value >= 0 && value < v.n_tokens()) id = int32_t(value);
}

void read_merges(const GgufFile& file, Vocab& v) {
  const GgufArray& merges = array_of(file, "tokenizer.ggml.merges", "BPE merges");
  if (merges.elem != GgufType::string && merges.size() > 0) {
    fail(file, std::string("tokenizer.ggml.merges holds ") + gguf_type_name(merges.elem) +
                   " values, expected strings");
  }
  v.merge_ranks.reserve(merges.strings.size());
  for (size_t i = 0; i < merges.strings.size(); ++i) {
    const std::string& m = merges.strings[i];
    const std::string where = "tokenizer.ggml.merges[" + std::to_string(i) + "] '" + m + "'";
    // The separator is the first space after the first byte, as llama.cpp splits it.
    const size_t sep = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sep == std::string::npos) fail(file, where + " is not two tokens separated by a space");
    for (std::string_view part :
         {std::string_view(m).substr(0, sep), std::string_view(m).substr(sep + 1)}) {
      if (v.find(part) < 0) {
        fail(file, where + " refers to '" + std::string(part) +
                       "', which is not in tokenizer.ggml.tokens");
      }
    }
    v.merge_ranks.emplace(m, int32_t(i));  // the first occurrence of a pair keeps its rank
  }
}

void detect_end_of_generation(const GgufFile& file, Vocab& v) {
  read_id(file, v, "tokenizer.ggml.eot_token_id", v.eot);
  read_id(file, v, "tokenizer.ggml.eom_token_id", v.eom);
  for (int32_t id = 0; id < v.n_tokens(); ++id) {
    TokenData& t = v.tokens[id];
    if (v.eot < 0 && one_of(t.text, kEotTexts)) v.eot = id;
    if (v.eom < 0 && t.text == "<|eom_id|>") v.eom = id;
    if (one_of(t.text, kEogTexts)) {
      v.end_of_generation.insert(id);
      t.attr |= attr_control;  // llama.cpp overrides a mistyped end token to control
    }
  }
  for (int32_t id : {v.eos, v.eot, v.eom}) {
    if (id >= 0) v.end_of_generation.insert(id);
  }
}

// Per-model attribute tweaks llama.cpp applies by name: Phi-3 special tokens swallow the
// whitespace to their right, except <unk>, <s> and <|endoftext|>.
void apply_model_attrs(const GgufFile& file, Vocab& v) {
  const std::string name = lowercase(file.get_string("general.name", ""));
  if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
  for (int32_t id : v.special_tokens) v.tokens[id].attr |= attr_rstrip;
  if (int32_t id = v.find("</s>"); id >= 0) v.tokens[id].attr |= attr_rstrip;
  for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
    if (int32_t id = v.find(text); id >= 0) v.tokens[id].attr &= ~uint32_t(attr_rstrip);
  }
}

// Parses "<0xNN>"; -1 when the text is not a byte token's.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                  : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                                                              : -1;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

std::string make_piece(const Vocab& v, const TokenData& t) {
  if (t.attr & (attr_unknown | attr_control | attr_user_defined)) return t.text;
  if (t.attr & attr_normal) {
    std::string out;
    if (v.kind == VocabKind::spm) {
      // SentencePiece writes spaces as U+2581 (e2 96 81).
      for (size_t i = 0; i < t.text.size(); ++i) {
        if (t.text.compare(i, 3, "\xe2\x96\x81") == 0) {
          out += ' ';
          i += 2;
        } else {
          out += t.text[i];
        }
      }
    } else {
      // Byte-level text: each code point stands for one byte. One outside the alphabet
      // (llama.cpp prints "[UNK_BYTE_...]") is kept as its UTF-8.
      for (uint32_t cpt : utf8_decode(t.text)) {
        const int b = unicode_to_byte(cpt);
        if (b >= 0) {
          out += char(b);
        } else {
          utf8_append(out, cpt);
        }
      }
    }
    return out;
  }
  if (t.attr & attr_byte) {
    const int b = parse_byte_token(t.text);
    return b >= 0 ? std::string(1, char(b)) : t.text;
  }
  return {};  // unused and undefined tokens decode to nothing
}

}  // namespace

std::unique_ptr<Vocab> load_vocab(const GgufFile& file) {
  auto v = std::make_unique<Vocab>();
  v->source = file.path();
  if (!file.find("tokenizer.ggml.model")) {
    fail(file, "missing key tokenizer.ggml.model (the file has no tokenizer)");
  }
  const std::string model = file.get_string("tokenizer.ggml.model");
  v->pre = file.get_string("tokenizer.ggml.pre", "default");
  if (v->pre.empty()) v->pre = "default";

  if (model == "llama") {
    v->kind = VocabKind::spm;
    v->bos = 1;
    v->eos = 2;
    v->unk = 0;
    v->add_bos = true;
    v->add_space_prefix = true;
  } else if (model == "gpt2") {
    // llama.cpp defaults BPE bos/eos to 11 (a Falcon leftover); we leave them unset.
    v->kind = VocabKind::bpe;
    // Defaults llama.cpp ties to the pre-tokenizer (the file's add_bos_token still wins).
    const bool llama3 = v->pre == "llama3" || v->pre == "llama-v3" || v->pre == "llama-bpe" ||
                        v->pre == "falcon3" || v->pre == "pixtral";
    v->ignore_merges = llama3 || v->pre == "tekken";
    v->add_bos = llama3 || v->pre == "tekken" || v->pre == "chameleon";
  } else if (model == "bert" || model == "t5" || model == "rwkv" || model == "no_vocab" ||
             model == "none") {
    throw_error(ErrorKind::unsupported, file.path() + ": tokenizer.ggml.model '" + model +
                                            "' is not supported (llama and gpt2 are)");
  } else {
    fail(file, "unknown tokenizer.ggml.model '" + model + "' (expected llama or gpt2)");
  }
  v->add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix", v->add_space_prefix);

  read_tokens(file, *v);
  if (v->kind == VocabKind::bpe) read_merges(file, *v);

  read_id(file, *v, "tokenizer.ggml.bos_token_id", v->bos);
  read_id(file, *v, "tokenizer.ggml.eos_token_id", v->eos);
  read_id(file, *v, "tokenizer.ggml.unknown_token_id", v->unk);
  read_id(file, *v, "tokenizer.ggml.padding_token_id", v->pad);
  if (v->pre == "chatglm-bpe" || v->pre == "glm4") v->bos = -1;
  v->add_bos = file.get_bool("tokenizer.ggml.add_bos_token", v->add_bos);
  v->add_eos = file.get_bool("tokenizer.ggml.add_eos_token", v->add_eos);
  if (v->add_bos && v->bos < 0) {
    fail(file,
         "tokenizer.ggml.add_bos_token is true but there is no valid "
         "tokenizer.ggml.bos_token_id");
  }
  if (v->add_eos && v->eos < 0) {
    fail(file,
         "tokenizer.ggml.add_eos_token is true but there is no valid "
         "tokenizer.ggml.eos_token_id");
  }
  detect_end_of_generation(file, *v);

  for (int32_t id = 0; id < v->n_tokens(); ++id) {
    if (v->tokens[id].attr & (attr_control | attr_user_defined | attr_unknown)) {
      v->special_tokens.push_back(id);
    }
  }
  // Longest first, so a special token that contains a shorter one wins; ties by id keep the
  // order deterministic.
  std::stable_sort(v->special_tokens.begin(), v->special_tokens.end(), [&](int32_t a, int32_t b) {
    return v->tokens[a].text.size() > v->tokens[b].text.size();
  });
  apply_model_attrs(file, *v);

  v->byte_tokens.fill(-1);
  if (v->kind == VocabKind::spm) {
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
      const std::string name = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
      int32_t id = v->find(name);
      if (id < 0) id = v->find(std::string(1, char(b)));  // llama.cpp's fallback
      v->byte_tokens[b] = id;
    }
  }
  for (TokenData& t : v->tokens) t.piece = make_piece(*v, t);
  return v;
}

}  // namespace anymal::text
