#include "text/hf_tokenizer.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "text/pre_tokenizer.h"
#include "text/sentencepiece_model.h"

namespace anymal::text {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// GGUF token types (llama.cpp's llama_token_type), equal to SentencePiece's piece types.
enum : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5 };

// The special token kinds, their GGUF key stems and Hugging Face names, in llama.cpp's order.
struct SpecialKind {
  const char* hf;
  const char* gguf;
};
constexpr SpecialKind kSpecialKinds[] = {
    {"bos", "bos"},     {"eos", "eos"}, {"unk", "unknown"}, {"sep", "seperator"},
    {"pad", "padding"}, {"cls", "cls"}, {"mask", "mask"}};

struct Vocabulary {
  std::vector<std::string> tokens;
  std::vector<float> scores;  // SentencePiece only
  std::vector<int32_t> types;
};

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw_error(ErrorKind::invalid_input, file + ": " + what);
}

// llama.cpp's does_token_look_special: names that are special whatever the file says.
bool looks_special(const std::string& t) {
  auto wrapped = [&](const std::string& l, const std::string& r) {
    return t.size() >= l.size() + r.size() && t.compare(0, l.size(), l) == 0 &&
           t.compare(t.size() - r.size(), r.size(), r) == 0;
  };
  return wrapped("<|", "|>") || wrapped("<\xef\xbd\x9c", "\xef\xbd\x9c>") || t == "<pad>" ||
         t == "<mask>" || t == "<2mass>" || t == "[@BOS@]";
}

void pad_to(Vocabulary& v, int64_t vocab_size, bool scored) {
  for (int64_t i = int64_t(v.tokens.size()); i < vocab_size; ++i) {
    v.tokens.push_back("[PAD" + std::to_string(i) + "]");
    if (scored) v.scores.push_back(-10000.0f);
    v.types.push_back(kUnused);
  }
}

// added_tokens.json and tokenizer_config.json's added_tokens_decoder, as llama.cpp applies
// them to a SentencePiece vocabulary.
void apply_added_tokens(const std::string& dir, const json& tok_config, Vocabulary& v) {
  const fs::path added = fs::path(dir) / "added_tokens.json";
  if (fs::exists(added)) {
    const json j = read_json_file(added.string());
    if (!j.is_object()) fail(added.string(), "not an object of token -> id");
    for (auto& [text, id] : j.items()) {
      if (!id.is_number_integer()) fail(added.string(), text + " has no integer id");
      const int64_t k = id.get<int64_t>();
      if (k < 0 || k >= int64_t(v.tokens.size())) continue;  // llama.cpp ignores these too
      v.tokens[size_t(k)] = text;
      v.scores[size_t(k)] = -1000.0f;
      v.types[size_t(k)] = kUserDefined;
    }
  }
  auto dec = tok_config.find("added_tokens_decoder");
  if (dec == tok_config.end() || !dec->is_object()) return;
  for (auto& [key, data] : dec->items()) {
    int64_t k = -1;
    try {
      k = std::stoll(key);
    } catch (const std::exception&) {
      fail(dir + "/tokenizer_config.json", "added_tokens_decoder key \"" + key + "\" is not an id");
    }
    if (!data.is_object() || !data.contains("content") || !data["content"].is_string())
      fail(dir + "/tokenizer_config.json", "added_tokens_decoder." + key + " has no content");
    if (k < 0 || k >= int64_t(v.tokens.size())) continue;
    std::string text = data["content"].get<std::string>();
    if (data.value("special", false) || looks_special(text)) {
      v.types[size_t(k)] = kControl;
    } else {
      for (size_t at; (at = text.find("\xe2\x96\x81")) != std::string::npos;)
        text.replace(at, 3, " ");
      v.types[size_t(k)] = kUserDefined;
    }
    v.scores[size_t(k)] = -1000.0f;
    v.tokens[size_t(k)] = text;
  }
}

Vocabulary read_sentencepiece(const std::string& dir, const json& tok_config, int64_t vocab_size) {
  const std::string path = (fs::path(dir) / "tokenizer.model").string();
  const SentencePieceModel sp = SentencePieceModel::parse(read_file_bytes(path), path);
  if (vocab_size <= 0) vocab_size = int64_t(sp.pieces.size());
  Vocabulary v;
  for (const auto& p : sp.pieces) {
    if (int64_t(v.tokens.size()) == vocab_size) break;
    v.tokens.push_back(p.text);
    v.scores.push_back(p.score);
    // A SentencePieceProcessor reports user-defined pieces as ordinary ones.
    v.types.push_back(p.type == SentencePieceModel::user_defined ? kNormal : p.type);
  }
  pad_to(v, vocab_size, true);
  apply_added_tokens(dir, tok_config, v);
  return v;
}

// The regexes a tokenizer.json pre_tokenizer applies, in order.
void collect_regexes(const json& pre, const std::string& file, std::vector<std::string>& out) {
  if (pre.is_null()) return;
  const std::string type = pre.value("type", "");
  if (type == "Sequence") {
    for (const json& p : pre.value("pretokenizers", json::array())) collect_regexes(p, file, out);
  } else if (type == "ByteLevel") {
    if (pre.value("use_regex", true)) out.push_back(PreTokenizer::regexes_of("gpt-2").front());
  } else if (type == "Digits") {
    out.push_back(pre.value("individual_digits", false) ? "\\p{N}" : "\\p{N}+");
  } else if (type == "Split" && pre.contains("pattern") && pre["pattern"].contains("Regex")) {
    out.push_back(pre["pattern"]["Regex"].get<std::string>());
  } else {
    throw_error(ErrorKind::unsupported,
                file + ": pre_tokenizer of type \"" + type + "\" is not supported");
  }
}

struct BpeVocabulary {
  Vocabulary v;
  std::vector<std::string> merges;
  std::string pre;
  json added_tokens;
};

BpeVocabulary read_tokenizer_json(const std::string& dir, int64_t vocab_size) {
  const std::string path = (fs::path(dir) / "tokenizer.json").string();
  const json j = read_json_file(path);
  const json model = j.value("model", json::object());
  if (model.value("type", "") != "BPE")
    throw_error(ErrorKind::unsupported, path + ": model.type \"" + model.value("type", "") +
                                            "\" is not supported (byte-level BPE only)");
  if (!model.contains("vocab") || !model["vocab"].is_object())
    fail(path, "model.vocab is missing or not an object");
  BpeVocabulary b;
  std::vector<std::string> regexes;
  collect_regexes(j.value("pre_tokenizer", json()), path, regexes);
  b.pre = PreTokenizer::name_for_regexes(regexes);
  if (b.pre.empty())
    throw_error(ErrorKind::unsupported,
                path +
                    ": pre_tokenizer regexes match no pre-tokenizer llama.cpp knows"
                    " (a SentencePiece-style Metaspace tokenizer needs tokenizer.model)");
  std::map<int64_t, std::string> by_id;
  for (auto& [text, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0)
      fail(path, "model.vocab[\"" + text + "\"] is not a non-negative id");
    by_id[id.get<int64_t>()] = text;
  }
  std::map<int64_t, bool> added_special;  // id -> special
  b.added_tokens = j.value("added_tokens", json::array());
  for (const json& t : b.added_tokens) {
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() ||
        !t.contains("content") || !t["content"].is_string())
      fail(path, "added_tokens entries need an integer id and a string content");
    by_id[t["id"].get<int64_t>()] = t["content"].get<std::string>();
    added_special[t["id"].get<int64_t>()] = t.value("special", false);
  }
  if (vocab_size <= 0) vocab_size = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  for (int64_t i = 0; i < vocab_size; ++i) {
    auto it = by_id.find(i);
    if (it == by_id.end()) {
      b.v.tokens.push_back("[PAD" + std::to_string(i) + "]");
      b.v.types.push_back(kUnused);
      continue;
    }
    b.v.tokens.push_back(it->second);
    auto added = added_special.find(i);
    if (added == added_special.end())
      b.v.types.push_back(kNormal);
    else
      b.v.types.push_back(added->second || looks_special(it->second) ? kControl : kUserDefined);
  }
  for (const json& m : model.value("merges", json::array())) {
    if (m.is_string())
      b.merges.push_back(m.get<std::string>());
    else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
      b.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    else
      fail(path, "model.merges holds an entry that is not \"a b\" or [a, b]");
  }
  return b;
}

// SpecialVocab: ids of the special tokens tokenizer_config.json names, then config.json's.
void write_special_ids(const json& tok_config, const json& added_tokens, const json& config,
                       int64_t n_vocab, GgufWriter& out) {
  for (const SpecialKind& k : kSpecialKinds) {
    int64_t id = -1;
    auto entry = tok_config.find(std::string(k.hf) + "_token");
    if (entry != tok_config.end()) {
      std::string content = entry->is_string()   ? entry->get<std::string>()
                            : entry->is_object() ? entry->value("content", "")
                                                 : "";
      for (const json& t : added_tokens)
        if (!content.empty() && t.value("content", "") == content) id = t.value("id", -1);
    }
    if (id < 0) {
      auto c = config.find(std::string(k.hf) + "_token_id");
      if (c != config.end() && c->is_array() && !c->empty()) c = c->begin();
      if (c != config.end() && c->is_number_integer()) id = c->get<int64_t>();
    }
    if (id >= 0 && id < n_vocab)
      out.set_u32(std::string("tokenizer.ggml.") + k.gguf + "_token_id", uint32_t(id));
  }
  for (const char* flag : {"bos", "eos"}) {
    auto f = tok_config.find(std::string("add_") + flag + "_token");
    if (f != tok_config.end() && f->is_boolean())
      out.set_bool(std::string("tokenizer.ggml.add_") + flag + "_token", f->get<bool>());
  }
  auto tmpl = tok_config.find("chat_template");
  if (tmpl != tok_config.end() && tmpl->is_string())
    out.set_string("tokenizer.chat_template", tmpl->get<std::string>());
}

}  // namespace

json read_json_file(const std::string& path) {
  try {
    return json::parse(read_file_bytes(path));
  } catch (const json::exception& e) {
    fail(path, std::string("not valid JSON: ") + e.what());
  }
}

int64_t hf_tokenizer_to_gguf(const std::string& dir, const json& config, int64_t vocab_size,
                             GgufWriter& out) {
  const fs::path tc_path = fs::path(dir) / "tokenizer_config.json";
  const json tok_config = fs::exists(tc_path) ? read_json_file(tc_path.string()) : json::object();
  if (!tok_config.is_object()) fail(tc_path.string(), "not a JSON object");
  if (fs::exists(fs::path(dir) / "tokenizer.model")) {
    const Vocabulary v = read_sentencepiece(dir, tok_config, vocab_size);
    auto prefix = tok_config.find("add_prefix_space");
    if (prefix != tok_config.end() && prefix->is_boolean())
      out.set_bool("tokenizer.ggml.add_space_prefix", prefix->get<bool>());
    out.set_string("tokenizer.ggml.model", "llama");
    out.set_string("tokenizer.ggml.pre", "default");
    out.set_strings("tokenizer.ggml.tokens", v.tokens);
    out.set_f32s("tokenizer.ggml.scores", v.scores);
    out.set_i32s("tokenizer.ggml.token_type", v.types);
    const fs::path tj = fs::path(dir) / "tokenizer.json";
    const json added = fs::exists(tj)
                           ? read_json_file(tj.string()).value("added_tokens", json::array())
                           : json::array();
    write_special_ids(tok_config, added, config, int64_t(v.tokens.size()), out);
    return int64_t(v.tokens.size());
  }
  if (!fs::exists(fs::path(dir) / "tokenizer.json"))
    fail(dir, "has neither tokenizer.model nor tokenizer.json");
  const BpeVocabulary b = read_tokenizer_json(dir, vocab_size);
  out.set_string("tokenizer.ggml.model", "gpt2");
  out.set_string("tokenizer.ggml.pre", b.pre);
  out.set_strings("tokenizer.ggml.tokens", b.v.tokens);
  out.set_i32s("tokenizer.ggml.token_type", b.v.types);
  out.set_strings("tokenizer.ggml.merges", b.merges);
  write_special_ids(tok_config, b.added_tokens, config, int64_t(b.v.tokens.size()), out);
  return int64_t(b.v.tokens.size());
}

void gguf_tokenizer_to_hf(const GgufFile& file, const std::string& dir, json& config) {
  const std::string model = file.get_string("tokenizer.ggml.model");
  const GgufArray& tokens = file.get_array("tokenizer.ggml.tokens");
  const GgufValue* types_v = file.find("tokenizer.ggml.token_type");
  auto type_of = [&](size_t i) {
    return types_v && types_v->array && i < types_v->array->ints.size()
               ? int32_t(types_v->array->ints[i])
               : kNormal;
  };
  json tok_config = json::object();
  auto id_of = [&](const char* gguf) {
    return file.get_int(std::string("tokenizer.ggml.") + gguf + "_token_id", -1);
  };
  for (const SpecialKind& k : kSpecialKinds) {
    const int64_t id = id_of(k.gguf);
    if (id < 0 || id >= int64_t(tokens.strings.size())) continue;
    config[std::string(k.hf) + "_token_id"] = id;
    tok_config[std::string(k.hf) + "_token"] = tokens.strings[size_t(id)];
  }
  for (const char* flag : {"bos", "eos"}) {
    const GgufValue* v = file.find(std::string("tokenizer.ggml.add_") + flag + "_token");
    if (v) tok_config[std::string("add_") + flag + "_token"] = v->i != 0;
  }
  if (const GgufValue* t = file.find("tokenizer.chat_template"); t && t->type == GgufType::string)
    tok_config["chat_template"] = t->s;

  if (model == "llama") {
    SentencePieceModel sp;
    const GgufArray& scores = file.get_array("tokenizer.ggml.scores");
    for (size_t i = 0; i < tokens.strings.size(); ++i) {
      SentencePieceModel::Piece p;
      p.text = tokens.strings[i];
      p.score = i < scores.floats.size() ? float(scores.floats[i]) : 0.0f;
      p.type = type_of(i);
      sp.byte_fallback |= p.type == SentencePieceModel::byte;
      sp.pieces.push_back(std::move(p));
    }
    sp.model_type = 2;
    sp.unk_id = int32_t(id_of("unknown"));
    sp.bos_id = int32_t(id_of("bos"));
    sp.eos_id = int32_t(id_of("eos"));
    sp.pad_id = int32_t(id_of("padding"));
    sp.add_dummy_prefix = file.get_bool("tokenizer.ggml.add_space_prefix", true);
    tok_config["tokenizer_class"] = "LlamaTokenizer";
    if (const GgufValue* v = file.find("tokenizer.ggml.add_space_prefix"))
      tok_config["add_prefix_space"] = v->i != 0;
    write_file_atomic((fs::path(dir) / "tokenizer.model").string(), sp.serialize());
  } else if (model == "gpt2") {
    const std::string pre = file.get_string("tokenizer.ggml.pre", "default");
    const std::vector<std::string> regexes = PreTokenizer::regexes_of(pre);
    if (regexes.empty())
      throw_error(ErrorKind::unsupported,
                  file.path() + ": tokenizer.ggml.pre \"" + pre + "\" is unknown");
    json vocab = json::object(), added = json::array();
    for (size_t i = 0; i < tokens.strings.size(); ++i) {
      const int32_t type = type_of(i);
      if (type == kControl || type == kUserDefined)
        added.push_back({{"id", i},
                         {"content", tokens.strings[i]},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", type != kControl},
                         {"special", type == kControl}});
      else if (type != kUnused)
        vocab[tokens.strings[i]] = i;
    }
    json steps = json::array();
    for (const std::string& r : regexes)
      steps.push_back({{"type", "Split"},
                       {"pattern", {{"Regex", r}}},
                       {"behavior", "Isolated"},
                       {"invert", false}});
    steps.push_back({{"type", "ByteLevel"},
                     {"add_prefix_space", false},
                     {"trim_offsets", true},
                     {"use_regex", false}});
    const GgufValue* merges = file.find("tokenizer.ggml.merges");
    json j = {{"version", "1.0"},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", steps}}},
              {"decoder",
               {{"type", "ByteLevel"},
                {"add_prefix_space", true},
                {"trim_offsets", true},
                {"use_regex", true}}},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"byte_fallback", false},
                {"ignore_merges", file.get_bool("tokenizer.ggml.ignore_merges", false)},
                {"vocab", vocab},
                {"merges",
                 merges && merges->array ? merges->array->strings : std::vector<std::string>{}}}}};
    tok_config["tokenizer_class"] = "PreTrainedTokenizerFast";
    write_file_atomic((fs::path(dir) / "tokenizer.json").string(), j.dump(1) + "\n");
  } else {
    throw_error(ErrorKind::unsupported, file.path() + ": tokenizer.ggml.model \"" + model +
                                            "\" cannot be written as Hugging Face files");
  }
  write_file_atomic((fs::path(dir) / "tokenizer_config.json").string(), tok_config.dump(1) + "\n");
}

}  // namespace anymal::text
