#include "text/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "core/error.h"
#include "text/utf8.h"

namespace anymal::text {

namespace {

// The regexes of llama.cpp's llm_tokenizer_bpe, by family. Non-ASCII characters are written as
// \x{...} so no editor or tool can normalize them (several are canonical singletons).
constexpr const char* kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kDeepseekLlmLetters =
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A})"
    R"(\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556})"
    R"(\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF})"
    R"(\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})"
    R"(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D})"
    R"(\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3})"
    R"(\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})"
    R"(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D})"
    R"(\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184})"
    R"(\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D})"
    R"(\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF})"
    R"(\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F})"
    R"(\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})"
    R"(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
// CJK Unified Ideographs (to U+9FA5), U+0800-U+4E00, Hangul syllables and beyond.
constexpr const char* kDeepseekCjk = R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
// Punctuation that splits words for BLOOM-style vocabularies.
constexpr const char* kBloom =
    R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)";
// Tekken and GPT-4o: llama.cpp adapts Hugging Face's \p{Lu}/\p{Ll} classes (which its regex
// engine lacks) as ((?=[\p{L}])([^a-z])) "a letter not in a-z" and ((?=[\p{L}])([^A-Z])).
// Each of those consumes one character, so they are written here as the equivalent single
// classes [^\P{L}a-z] and [^\P{L}A-Z]: same matches, without a backtracking frame per letter.
constexpr const char* kTekkenWords =
    R"([^\r\n\p{L}\p{N}]?[^\P{L}a-z]*[^\P{L}A-Z]+|[^\r\n\p{L}\p{N}]?[^\P{L}a-z]+[^\P{L}A-Z]*|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kGpt4o = R"([^\r\n\p{L}\p{N}]?[^\P{L}a-z]*[^\P{L}A-Z]+)"
                               R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
                               R"([^\r\n\p{L}\p{N}]?[^\P{L}a-z]+[^\P{L}A-Z]*)"
                               R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
                               R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Family {
  std::vector<std::string_view> names;  // tokenizer.ggml.pre values
  std::vector<const char*> regexes;
};

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {{"default"}, {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", R"([0-9][0-9][0-9])"}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe", "chatglm-bpe",
        "glm4"},
       {kLlama3}},
      {{"deepseek-llm"},
       {R"([\r\n])", kDeepseekLlmLetters,
        R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)",
        R"(\s+$)", kDeepseekCjk, R"(\p{N}+)"}},
      {{"deepseek-v3"},
       {R"(\p{N}{1,3})", R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)",
        R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|)"
        R"( ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}},
      {{"deepseek-coder"}, {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepseekCjk, R"(\p{N})"}},
      {{"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, R"([0-9][0-9][0-9])"}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"},
       {R"(\p{N})", kGpt2}},
      {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
        "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "exaone4"},
       {kGpt2}},
      {{"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"}, {kQwen2}},
      {{"poro-chat", "bloom", "gpt3-finnish"}, {kBloom}},
      {{"viking"}, {kBloom, R"(\p{N})"}},
      {{"tekken"}, {kTekkenWords}},
      {{"chameleon"},
       {R"(<sentinel:[0-9]+>)", R"((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)", R"(([\t\n]|    |  ))",
        R"(\p{N})", R"([\p{P}!-/:-@\[-`{-~])", kGpt2}},
      {{"gpt-4o", "llama4"}, {kGpt4o}},
  };
  return table;
}

// Unicode White_Space: what llama.cpp's \s matches in all of its regex paths.
constexpr const char* kWhiteSpace =
    R"(\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

[[noreturn]] void pcre_fail(const std::string& what, int code) {
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(code, msg, sizeof(msg));
  throw_error(ErrorKind::internal, what + ": " + reinterpret_cast<const char*>(msg));
}

}  // namespace

std::string translate_regex(std::string_view re) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char e = re[++i];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (e == 'S') {
        ANYMAL_ASSERT(!in_class);  // no table regex negates \s inside a class
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else if (e == 'p' && re.substr(i + 1, 4).size() == 4 && re[i + 1] == '{' &&
                 re[i + 2] == 'L' && re[i + 3] != '}' && re[i + 4] == '}') {
        // llama.cpp collapses every letter sub-category into "letter".
        out += "\\p{L}";
        i += 4;
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < re.size() && re[i + 1] == '^') out += re[++i];
      if (i + 1 < re.size() && re[i + 1] == ']') out += re[++i];  // a leading ] is literal
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(std::string_view pre) {
  const Family* family = nullptr;
  for (const Family& f : families()) {
    if (std::find(f.names.begin(), f.names.end(), pre) != f.names.end()) family = &f;
  }
  if (!family) {
    throw_error(ErrorKind::unsupported,
                "unknown BPE pre-tokenizer tokenizer.ggml.pre = '" + std::string(pre) + "'");
  }
  for (const char* source : family->regexes) {
    const std::string pattern = translate_regex(source);
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    // No PCRE2_UCP: \d and \b stay ASCII as in std::regex; \p{..} is Unicode either way.
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &err_offset, nullptr);
    if (!code) pcre_fail("pre-tokenizer regex " + pattern, err);
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional: the interpreter is the fallback
    auto regex = std::make_unique<Regex>();
    regex->code = code;
    regexes_.push_back(std::move(regex));
  }
}

PreTokenizer::~PreTokenizer() = default;

std::vector<std::string> PreTokenizer::known_names() {
  std::vector<std::string> names;
  for (const Family& f : families()) names.insert(names.end(), f.names.begin(), f.names.end());
  return names;
}

std::vector<std::string> PreTokenizer::regexes_of(std::string_view pre) {
  for (const Family& f : families())
    if (std::find(f.names.begin(), f.names.end(), pre) != f.names.end())
      return std::vector<std::string>(f.regexes.begin(), f.regexes.end());
  return {};
}

std::string PreTokenizer::name_for_regexes(const std::vector<std::string>& regexes) {
  static const std::string hf_contractions = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
  static const std::string llama_contractions =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
  std::vector<std::string> want = regexes;
  for (std::string& r : want)
    for (size_t at; (at = r.find(hf_contractions)) != std::string::npos;)
      r.replace(at, hf_contractions.size(), llama_contractions);
  for (const Family& f : families())
    if (std::vector<std::string>(f.regexes.begin(), f.regexes.end()) == want)
      return std::string(f.names.front() == "llama3" ? "llama-bpe" : f.names.front());
  return "";
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  // Decode leniently, then build two encodings of the same code points with identical byte
  // lengths: `out_text` is what llama.cpp re-encodes words from; `subject` is what PCRE2 can
  // match (surrogates, which PCRE2 rejects, become U+FFFD there; both are 3 bytes).
  std::string out_text, subject;
  out_text.reserve(text.size());
  subject.reserve(text.size());
  for (uint32_t cpt : utf8_decode(text)) {
    utf8_append(out_text, cpt);
    const bool surrogate = cpt >= 0xD800 && cpt <= 0xDFFF;
    utf8_append(subject, surrogate ? kReplacementChar : cpt);
  }

  struct Span {
    size_t begin, end;
  };
  std::vector<Span> pieces = {{0, subject.size()}};
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> match(nullptr,
                                                                       pcre2_match_data_free);
  for (const auto& regex : regexes_) {
    match.reset(pcre2_match_data_create_from_pattern(regex->code, nullptr));
    std::vector<Span> next;
    next.reserve(pieces.size() * 2);
    for (const Span& piece : pieces) {
      // Each piece is matched as a subject of its own, like std::regex_iterator over it:
      // lookarounds and $ do not see past its ends.
      const auto* base = reinterpret_cast<PCRE2_SPTR>(subject.data() + piece.begin);
      const size_t len = piece.end - piece.begin;
      size_t kept = 0, at = 0;
      uint32_t options = 0;
      while (at <= len) {
        int rc = pcre2_match(regex->code, base, len, at, options | PCRE2_NO_UTF_CHECK, match.get(),
                             nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
          rc = pcre2_match(regex->code, base, len, at, options | PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                           match.get(), nullptr);
        }
        if (rc == PCRE2_ERROR_NOMATCH) {
          if (options == 0) break;
          // After an empty match, step over one character and search again.
          options = 0;
          do ++at;
          while (at < len && (uint8_t(base[at]) & 0xC0) == 0x80);
          continue;
        }
        if (rc < 0) {
          // Resource limits (match / heap) on pathological input: refuse rather than crash.
          PCRE2_UCHAR msg[256];
          pcre2_get_error_message(rc, msg, sizeof(msg));
          throw_error(ErrorKind::invalid_input,
                      "text too complex for the BPE pre-tokenizer (" + std::to_string(len) +
                          "-byte piece; PCRE2: " + reinterpret_cast<const char*>(msg) + ")");
        }
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.get());
        const size_t m_begin = ov[0], m_end = ov[1];
        if (m_begin > kept) next.push_back({piece.begin + kept, piece.begin + m_begin});
        if (m_end > m_begin) next.push_back({piece.begin + m_begin, piece.begin + m_end});
        kept = m_end;
        at = m_end;
        // An empty match only marks a split point; next try a non-empty match right there.
        options = m_end == m_begin ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
      }
      if (kept < len) next.push_back({piece.begin + kept, piece.end});
    }
    pieces = std::move(next);
  }

  std::vector<std::string> words;
  words.reserve(pieces.size());
  for (const Span& p : pieces) words.emplace_back(out_text, p.begin, p.end - p.begin);
  return words;
}

}  // namespace anymal::text
