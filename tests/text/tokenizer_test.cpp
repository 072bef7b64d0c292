// Tokenizers against llama.cpp's own vocab test files (../shared/fixtures/tokenizer), plus
// round trips, special tokens, streaming and bad vocabularies.
#include "text/tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "formats/gguf_writer.h"
#include "text/pre_tokenizer.h"
#include "text/utf8.h"

using namespace anymal;
using namespace anymal::text;
namespace fs = std::filesystem;

namespace {

std::string vocab_path(const std::string& name) {
  return std::string(ANYMAL_SHARED_FIXTURES) + "/tokenizer/ggml-vocab-" + name + ".gguf";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

// The .inp file holds strings separated by "\n__ggml_vocab_test__\n" (the file ends with one);
// the .out file holds one line of space-separated ids per string, as llama.cpp's
// test-tokenizer-0 reads them.
std::vector<Case> load_cases(const std::string& name) {
  const std::string inp = read_all(vocab_path(name) + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<Case> cases;
  for (size_t pos = 0;;) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) break;
    cases.push_back({inp.substr(pos, next - pos), {}});
    pos = next + sep.size();
  }
  std::istringstream out(read_all(vocab_path(name) + ".out"));
  std::string line;
  size_t i = 0;
  for (; std::getline(out, line); ++i) {
    if (i >= cases.size()) break;
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) cases[i].ids.push_back(id);
  }
  EXPECT_EQ(i, cases.size()) << name << ": .inp and .out disagree on the number of cases";
  return cases;
}

std::unique_ptr<Tokenizer> load(const std::string& name) {
  return Tokenizer::from_gguf(*GgufFile::open(vocab_path(name)));
}

std::string show(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    s += ' ';
    s += std::to_string(id);
  }
  return s;
}

const std::vector<std::string> kVocabs = {"llama-spm", "phi-3",     "gpt-2",
                                          "falcon",    "starcoder", "deepseek-coder"};

class VocabFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabFixture, EncodesLikeLlamaCpp) {
  const auto tok = load(GetParam());
  const std::vector<Case> cases = load_cases(GetParam());
  ASSERT_EQ(cases.size(), 46u);
  for (const Case& c : cases) {
    EXPECT_EQ(show(tok->encode(c.text, false)), show(c.ids)) << "text: '" << c.text << "'";
  }
}

// Every fixture string survives encode + decode, on all six vocabularies: SPM drops the space
// the encoder prepended, byte-level BPE covers every byte. (llama_detokenize would also "clean
// up" spaces before punctuation for gpt-2/falcon/starcoder, which is lossy; decode does not.)
// Not lossless, by design of the tokenizers: invalid UTF-8 under BPE (becomes U+FFFD), under SPM
// a bogus lead byte that swallows the next character (InvalidUtf8DoesNotThrow), control tokens
// unless decoded with render_special, and SPM text after a special token (it gets a space).
TEST_P(VocabFixture, DecodeInvertsEncode) {
  const auto tok = load(GetParam());
  for (const Case& c : load_cases(GetParam())) {
    EXPECT_EQ(tok->decode(tok->encode(c.text, false)), c.text);
    EXPECT_EQ(tok->decode(tok->encode(c.text, true)), c.text);  // BOS is left out
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VocabFixture, ::testing::ValuesIn(kVocabs),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

// Prompt tokens llama.cpp fed its models (BOS added as the vocabulary says), for the tokenizer
// inside the tiny Llama files and inside llama.cpp's conversion of a Hugging Face checkpoint
// (a 512-piece SentencePiece BPE with byte fallback).
TEST(Tokenizer, PromptTokensOfModelFixtures) {
  const std::string root = ANYMAL_SHARED_FIXTURES;
  const std::vector<std::pair<std::string, std::string>> models = {
      {"llm/tiny-llama-mha-f16.gguf", "llm/ref/tiny-llama-mha-f16"},
      {"hf/tiny-hf-llama.llamacpp-converted.f32.gguf", "hf/ref/tiny-hf-llama"}};
  for (const auto& [model, ref] : models) {
    const auto tok = Tokenizer::from_gguf(*GgufFile::open(root + "/" + model));
    for (const char* p : {"p1", "p2", "p3"}) {
      const std::string prompt = read_all(root + "/llm/prompts/" + p + ".txt");
      const auto expected = nlohmann::json::parse(read_all(root + "/" + ref + "." + p + ".json"))
                                .at("prompt_tokens")
                                .get<std::vector<int32_t>>();
      EXPECT_EQ(show(tok->encode(prompt, true)), show(expected)) << model << " " << p;
      EXPECT_EQ(tok->decode(expected), prompt) << model << " " << p;
    }
  }
  // LLaVA prompt: the text before <image> with BOS, the text after it without.
  const auto tok = Tokenizer::from_gguf(*GgufFile::open(root + "/llm/tiny-llama-mha-f16.gguf"));
  const std::string v1 = read_all(root + "/vision/prompts/v1.txt");
  const size_t image = v1.find("<image>");
  ASSERT_NE(image, std::string::npos);
  const auto ref = nlohmann::json::parse(read_all(root + "/vision/ref/tiny-llava.img1.json"));
  EXPECT_EQ(tok->encode(v1.substr(0, image), true),
            ref.at("before_tokens").get<std::vector<int32_t>>());
  EXPECT_EQ(tok->encode(v1.substr(image + 7), false),
            ref.at("after_tokens").get<std::vector<int32_t>>());
}

TEST(Tokenizer, AddSpecialFollowsTheVocab) {
  const auto spm = load("llama-spm");  // add_bos_token true, add_eos_token false
  EXPECT_EQ(spm->bos(), 1);
  EXPECT_EQ(spm->eos(), 2);
  EXPECT_TRUE(spm->adds_bos());
  const std::vector<int32_t> plain = spm->encode("Hello world", false);
  std::vector<int32_t> with_bos = {1};
  with_bos.insert(with_bos.end(), plain.begin(), plain.end());
  EXPECT_EQ(spm->encode("Hello world", true), with_bos);
  EXPECT_EQ(spm->encode("", true), std::vector<int32_t>{1});
  EXPECT_TRUE(spm->encode("", false).empty());

  const auto gpt2 = load("gpt-2");  // no add_bos_token key: BPE adds nothing
  EXPECT_FALSE(gpt2->adds_bos());
  EXPECT_EQ(gpt2->encode("Hello world", true), gpt2->encode("Hello world", false));

  const auto ds = load("deepseek-coder");  // add_bos_token true
  EXPECT_EQ(ds->encode("Hi", true).front(), 32013);
}

TEST(Tokenizer, ParseSpecial) {
  const auto spm = load("llama-spm");
  const std::vector<int32_t> hello = spm->encode("Hello", false);
  // Control tokens become themselves only with parse_special; text after one gets the SPM
  // space prefix again.
  std::vector<int32_t> expected = {1};
  expected.insert(expected.end(), hello.begin(), hello.end());
  expected.push_back(2);
  EXPECT_EQ(spm->encode("<s>Hello</s>", false, true), expected);
  const std::vector<int32_t> literal = spm->encode("<s>Hello</s>", false, false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), 1), 0) << show(literal);
  EXPECT_EQ(spm->decode(literal), "<s>Hello</s>");
  EXPECT_EQ(spm->decode(expected), "Hello");
  EXPECT_EQ(spm->decode(expected, /*render_special=*/true), "<s> Hello</s>");

  // The longest special token wins; starcoder's FIM tokens split code.
  const auto sc = load("starcoder");
  const std::vector<int32_t> fim = sc->encode("<fim_prefix>def f():<fim_suffix>", false, true);
  ASSERT_GE(fim.size(), 3u);
  EXPECT_EQ(fim.front(), 1);
  EXPECT_EQ(fim.back(), 3);
  EXPECT_EQ(sc->decode(fim, true), "<fim_prefix>def f():<fim_suffix>");
  EXPECT_EQ(sc->decode(fim), "def f():");

  // Phi-3 chat tokens swallow the whitespace after them (llama.cpp's rstrip attribute).
  const auto phi = load("phi-3");
  std::vector<int32_t> turn = {32010};
  const std::vector<int32_t> hi = phi->encode("Hi", false);
  turn.insert(turn.end(), hi.begin(), hi.end());
  turn.push_back(32007);
  EXPECT_EQ(phi->encode("<|user|>\n Hi<|end|>", false, true), turn);
}

TEST(Tokenizer, UserDefinedTokensAlwaysMatch) {
  // deepseek-coder declares 'ü' (and other byte-level characters) user-defined: llama.cpp
  // splits them off before BPE even without parse_special.
  const auto ds = load("deepseek-coder");
  EXPECT_EQ(ds->encode("ü", false), std::vector<int32_t>{32009});
  EXPECT_EQ(ds->token_piece(32009), "ü");
}

TEST(Tokenizer, Pieces) {
  const auto spm = load("llama-spm");
  EXPECT_EQ(spm->token_piece(3 + 0x41), "A");  // <0x41>
  EXPECT_EQ(spm->token_piece(15043), " Hello");
  EXPECT_EQ(spm->token_piece(1), "<s>");
  EXPECT_TRUE(spm->is_special(1));
  EXPECT_EQ(spm->find_token("<0x0A>"), 13);
  const auto gpt2 = load("gpt-2");
  EXPECT_EQ(gpt2->token_piece(gpt2->find_token("\xc4\xa0the")), " the");  // "Ġthe"
  EXPECT_EQ(gpt2->token_piece(gpt2->find_token("\xc4\x8a")), "\n");       // "Ċ"
}

TEST(Tokenizer, EndOfGeneration) {
  EXPECT_TRUE(load("gpt-2")->is_end_of_generation(50256));
  EXPECT_FALSE(load("gpt-2")->is_end_of_generation(0));
  const auto phi = load("phi-3");
  EXPECT_TRUE(phi->is_end_of_generation(32000));  // eos <|endoftext|>
  EXPECT_TRUE(phi->is_end_of_generation(32007));  // <|end|>
  EXPECT_FALSE(phi->is_end_of_generation(32010));
  EXPECT_TRUE(load("llama-spm")->is_end_of_generation(2));
}

TEST(Tokenizer, IdsOutOfRange) {
  const auto spm = load("llama-spm");
  for (int32_t id : {-1, 32000}) {
    try {
      spm->decode({15043, id});
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
      EXPECT_NE(std::string(e.what()).find(std::to_string(id)), std::string::npos) << e.what();
    }
    EXPECT_THROW(spm->token_piece(id), Error);
    StreamDecoder stream(*spm);
    EXPECT_THROW(stream.push(id), Error);
  }
}

TEST(StreamDecoder, ReassemblesBytesSplitAcrossTokens) {
  const auto spm = load("llama-spm");
  // The llama emoji is not in the vocabulary: byte fallback gives four <0xNN> tokens.
  const std::string text = "a \xf0\x9f\xa6\x99 b";
  const std::vector<int32_t> ids = spm->encode(text, false);
  ASSERT_GE(ids.size(), 6u) << show(ids);
  StreamDecoder stream(*spm);
  std::string streamed;
  std::vector<std::string> chunks;
  for (int32_t id : ids) {
    chunks.push_back(stream.push(id));
    streamed += chunks.back();
  }
  streamed += stream.flush();
  EXPECT_EQ(streamed, " " + text);  // a stream keeps the SPM space prefix
  for (const std::string& c : chunks) {
    // No chunk ends inside a UTF-8 sequence.
    EXPECT_EQ(utf8_incomplete_tail(c), 0u) << show(ids);
  }
  int empty_chunks = 0;
  for (const std::string& c : chunks) empty_chunks += c.empty();
  EXPECT_EQ(empty_chunks, 3);  // the first three bytes of the emoji wait for the fourth

  // Control tokens print nothing; an unfinished sequence comes out on flush.
  StreamDecoder partial(*spm);
  EXPECT_EQ(partial.push(1), "");
  EXPECT_EQ(partial.push(3 + 0xF0), "");
  EXPECT_EQ(partial.push(3 + 0x9F), "");
  EXPECT_EQ(partial.flush(), "\xf0\x9f");
  EXPECT_EQ(partial.flush(), "");
}

TEST(StreamDecoder, ByteLevelBpe) {
  const auto gpt2 = load("gpt-2");
  const std::string text = "emoji: \xf0\x9f\x9a\x80 and \xe2\x9c\x85!";
  StreamDecoder stream(*gpt2);
  std::string streamed;
  for (int32_t id : gpt2->encode(text, false)) streamed += stream.push(id);
  EXPECT_EQ(streamed + stream.flush(), text);
}

TEST(Tokenizer, InvalidUtf8DoesNotThrow) {
  // SPM keeps stray bytes as byte tokens; BPE sees U+FFFD, as llama.cpp does.
  const std::string bad = "ok \x80\x80 done \xed\xa0\x80 \xc3";
  const auto spm = load("llama-spm");
  EXPECT_EQ(spm->decode(spm->encode(bad, false)), bad);
  // A lead byte announcing more bytes than follow in its character takes the next bytes with
  // it, here the U+2581 that stands for a space, which then decodes as U+2581 (llama.cpp's
  // character split trusts lead bytes).
  EXPECT_EQ(spm->decode(spm->encode("\xfe x", false)), "\xfe\xe2\x96\x81x");
  const auto gpt2 = load("gpt-2");
  const std::string out = gpt2->decode(gpt2->encode(bad, false));
  EXPECT_NE(out.find("\xef\xbf\xbd"), std::string::npos);
}

TEST(PreTokenizer, EveryKnownNameCompiles) {
  for (const std::string& name : PreTokenizer::known_names()) {
    EXPECT_NO_THROW(PreTokenizer pre(name)) << name;
  }
  EXPECT_THROW(PreTokenizer("no-such-pre"), Error);
}

TEST(PreTokenizer, SplitsLikeTheReferenceRegexes) {
  const PreTokenizer gpt2("gpt-2");
  EXPECT_EQ(gpt2.split("Hello world's  3 apples!!\n"),
            (std::vector<std::string>{"Hello", " world", "'s", " ", " 3", " apples", "!!", "\n"}));
  // \s is Unicode White_Space, U+0085 included; a no-break space splits words.
  EXPECT_EQ(gpt2.split("a\xc2\xa0"
                       "b"),
            (std::vector<std::string>{"a", "\xc2\xa0", "b"}));
  const PreTokenizer llama3("llama3");
  EXPECT_EQ(llama3.split("12345 I'M ok\r\n\n x"),
            (std::vector<std::string>{"123", "45", " I", "'M", " ok", "\r\n\n", " x"}));
  // Tekken's case-aware words (llama.cpp's lookahead form, here single classes).
  const PreTokenizer tekken("tekken");
  EXPECT_EQ(tekken.split("HelloWORLDfoo \xc3\x89t\xc3\xa9\xc3\x9c"
                         "BER x42"),
            (std::vector<std::string>{"Hello", "WORLDfoo", " \xc3\x89t\xc3\xa9\xc3\x9c", "BER",
                                      " x", "4", "2"}));
  const PreTokenizer deepseek_llm("deepseek-llm");  // "\s+$" only at the very end
  EXPECT_EQ(deepseek_llm.split("ab  \ncd"), (std::vector<std::string>{"ab", "  ", "\n", "cd"}));
}

// ---- bad vocabularies ----

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("anymal_text_" + std::to_string(getpid()) + "_" + name))
      .string();
}

// Writes `w` and expects from_gguf to throw `kind` with all of `needles` in the message.
void expect_bad(const GgufWriter& w, const std::string& name, ErrorKind kind,
                std::vector<std::string> needles) {
  const std::string path = temp_path(name + ".gguf");
  w.write(path);
  try {
    Tokenizer::from_gguf(*GgufFile::open(path));
    ADD_FAILURE() << name << ": expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    needles.push_back(path);
    for (const std::string& n : needles) {
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
          << name << ": '" << n << "' not in: " << e.what();
    }
  }
  fs::remove(path);
}

GgufWriter tiny_bpe() {
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt-2");
  w.set_strings("tokenizer.ggml.tokens", {"a", "b", "ab", "\xc4\xa0"});
  w.set_strings("tokenizer.ggml.merges", {"a b"});
  return w;
}

TEST(BadVocab, ClearErrors) {
  GgufWriter no_model;
  no_model.set_strings("tokenizer.ggml.tokens", {"a"});
  expect_bad(no_model, "no_model", ErrorKind::invalid_input, {"tokenizer.ggml.model"});

  GgufWriter no_tokens;
  no_tokens.set_string("tokenizer.ggml.model", "llama");
  expect_bad(no_tokens, "no_tokens", ErrorKind::invalid_input, {"tokenizer.ggml.tokens"});

  GgufWriter unknown_model;
  unknown_model.set_string("tokenizer.ggml.model", "sentencepiece-ish");
  unknown_model.set_strings("tokenizer.ggml.tokens", {"a"});
  expect_bad(unknown_model, "unknown_model", ErrorKind::invalid_input,
             {"tokenizer.ggml.model", "sentencepiece-ish"});

  GgufWriter bert;
  bert.set_string("tokenizer.ggml.model", "bert");
  bert.set_strings("tokenizer.ggml.tokens", {"a"});
  expect_bad(bert, "bert", ErrorKind::unsupported, {"bert"});

  GgufWriter tokens_not_strings;
  tokens_not_strings.set_string("tokenizer.ggml.model", "llama");
  tokens_not_strings.set_i32s("tokenizer.ggml.tokens", {1, 2});
  expect_bad(tokens_not_strings, "tokens_i32", ErrorKind::invalid_input, {"tokenizer.ggml.tokens"});

  GgufWriter short_scores;
  short_scores.set_string("tokenizer.ggml.model", "llama");
  short_scores.set_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
  short_scores.set_f32s("tokenizer.ggml.scores", {0, 0});
  expect_bad(short_scores, "short_scores", ErrorKind::invalid_input, {"tokenizer.ggml.scores"});

  GgufWriter no_merges;
  no_merges.set_string("tokenizer.ggml.model", "gpt2");
  no_merges.set_strings("tokenizer.ggml.tokens", {"a", "b"});
  expect_bad(no_merges, "no_merges", ErrorKind::invalid_input, {"tokenizer.ggml.merges"});

  GgufWriter bad_merge = tiny_bpe();
  bad_merge.set_strings("tokenizer.ggml.merges", {"a b", "a zz"});
  expect_bad(bad_merge, "bad_merge", ErrorKind::invalid_input,
             {"tokenizer.ggml.merges[1]", "'zz'"});

  GgufWriter no_space_merge = tiny_bpe();
  no_space_merge.set_strings("tokenizer.ggml.merges", {"ab"});
  expect_bad(no_space_merge, "no_space_merge", ErrorKind::invalid_input,
             {"tokenizer.ggml.merges[0]"});

  GgufWriter unknown_pre = tiny_bpe();
  unknown_pre.set_string("tokenizer.ggml.pre", "my-new-model");
  expect_bad(unknown_pre, "unknown_pre", ErrorKind::unsupported,
             {"tokenizer.ggml.pre", "my-new-model"});

  GgufWriter bos_missing = tiny_bpe();
  bos_missing.set_bool("tokenizer.ggml.add_bos_token", true);
  expect_bad(bos_missing, "bos_missing", ErrorKind::invalid_input,
             {"tokenizer.ggml.add_bos_token", "tokenizer.ggml.bos_token_id"});
}

TEST(SmallVocab, BpeMergesAndSpmFallbacks) {
  const std::string bpe_path = temp_path("tiny_bpe.gguf");
  GgufWriter bpe = tiny_bpe();
  bpe.set_u32("tokenizer.ggml.eos_token_id", 2);
  bpe.write(bpe_path);
  const auto t = Tokenizer::from_gguf(*GgufFile::open(bpe_path));
  EXPECT_EQ(t->encode("ab a", false), (std::vector<int32_t>{2, 3, 0}));  // "ab", "Ġ", "a": no "Ġa"
  EXPECT_EQ(t->decode({2, 3, 0}), "ab a");
  EXPECT_EQ(t->bos(), -1);
  EXPECT_TRUE(t->is_end_of_generation(2));
  fs::remove(bpe_path);

  // SPM without byte tokens: unknown characters become the unknown token (llama.cpp would
  // throw); highest score merges first.
  const std::string spm_path = temp_path("tiny_spm.gguf");
  GgufWriter spm;
  spm.set_string("tokenizer.ggml.model", "llama");
  spm.set_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "b", "ab",
                                            "\xe2\x96\x81"
                                            "a",
                                            "\xe2\x96\x81"
                                            "ab"});
  spm.set_f32s("tokenizer.ggml.scores", {0, 0, 0, -1, -1, -1, -2, -3, -4});
  spm.set_i32s("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1, 1, 1, 1});
  spm.write(spm_path);
  const auto s = Tokenizer::from_gguf(*GgufFile::open(spm_path));
  // "▁ab": "ab" (-2) beats "▁a" (-3), then "▁" + "ab" -> "▁ab".
  EXPECT_EQ(s->encode("ab", false), std::vector<int32_t>{8});
  EXPECT_EQ(s->encode("ac", false), (std::vector<int32_t>{7, 0}));
  EXPECT_EQ(s->encode("ab", true), (std::vector<int32_t>{1, 8}));
  fs::remove(spm_path);
}

}  // namespace
