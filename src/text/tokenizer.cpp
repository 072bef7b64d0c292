#include "text/tokenizer.h"

#include "core/error.h"
#include "text/pre_tokenizer.h"
#include "text/subword.h"
#include "text/utf8.h"
#include "text/vocab.h"

namespace anymal::text {

// A piece of the input after special-token splitting: a token, or a byte range of plain text.
struct Tokenizer::Fragment {
  int32_t token;  // -1 for text
  size_t begin, end;
};

namespace {

// C isspace in the "C" locale, which is what llama.cpp strips around lstrip/rstrip tokens.
bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->vocab_ = load_vocab(file);
  if (t->vocab_->kind == VocabKind::bpe) {
    try {
      t->pre_ = std::make_unique<PreTokenizer>(t->vocab_->pre);
    } catch (const Error& e) {
      throw Error(e.kind(), file.path() + ": " + e.what());
    }
  }
  return t;
}

// llama.cpp's tokenizer_st_partition: for each special token, longest first, cut every text
// fragment at each occurrence. Control and unknown tokens only count with parse_special;
// user-defined tokens always do (as in Hugging Face tokenizers).
std::vector<Tokenizer::Fragment> Tokenizer::split_special(std::string_view text,
                                                          bool parse_special) const {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (int32_t id : vocab_->special_tokens) {
    const TokenData& tok = vocab_->tokens[id];
    if (!parse_special && (tok.attr & (attr_control | attr_unknown))) continue;
    const std::string_view needle = tok.text;
    next.clear();
    bool changed = false;
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t begin = f.begin;
      while (begin < f.end) {
        const size_t at = text.substr(0, f.end).find(needle, begin);
        if (at == std::string_view::npos) break;
        changed = true;
        size_t left_end = at;
        if (tok.attr & attr_lstrip) {
          while (left_end > begin && is_c_space(text[left_end - 1])) --left_end;
        }
        if (left_end > begin) next.push_back({-1, begin, left_end});
        next.push_back({id, at, at + needle.size()});
        begin = at + needle.size();
        if (tok.attr & attr_rstrip) {
          while (begin < f.end && is_c_space(text[begin])) ++begin;
        }
      }
      if (begin < f.end) next.push_back({-1, begin, f.end});
    }
    if (changed) frags.swap(next);
  }
  return frags;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  const Vocab& v = *vocab_;
  std::vector<int32_t> out;
  if (add_special && v.add_bos) out.push_back(v.bos);
  bool after_special = true;  // SPM: text that starts the input gets the space prefix too
  std::string spm_text;
  for (const Fragment& f : split_special(text, parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      after_special = true;
      continue;
    }
    const std::string_view piece = text.substr(f.begin, f.end - f.begin);
    if (v.kind == VocabKind::spm) {
      spm_text.clear();
      if (v.add_space_prefix && after_special) spm_text = "\xe2\x96\x81";
      for (char c : piece) {
        if (c == ' ') {
          spm_text += "\xe2\x96\x81";
        } else {
          spm_text += c;
        }
      }
      spm_encode(v, spm_text, out);
    } else {
      bpe_encode(v, *pre_, piece, out);
    }
    after_special = false;
  }
  if (add_special && v.add_eos) out.push_back(v.eos);
  return out;
}

void Tokenizer::check_id(int32_t id) const {
  if (id < 0 || id >= vocab_->n_tokens()) {
    throw_error(ErrorKind::invalid_input, "token id " + std::to_string(id) +
                                              " is out of range (vocabulary of " +
                                              std::to_string(vocab_->n_tokens()) + " tokens)");
  }
}

std::string Tokenizer::token_piece(int32_t id) const {
  check_id(id);
  return vocab_->tokens[id].piece;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::string out;
  bool strip_space = vocab_->add_space_prefix;
  for (int32_t id : ids) {
    check_id(id);
    if (!render_special && is_special(id)) continue;
    const std::string& piece = vocab_->tokens[id].piece;
    if (piece.empty()) continue;
    const bool skip = strip_space && piece[0] == ' ';
    out.append(piece, skip ? 1 : 0);
    strip_space = false;
  }
  return out;
}

int32_t Tokenizer::n_vocab() const { return vocab_->n_tokens(); }
int32_t Tokenizer::bos() const { return vocab_->bos; }
int32_t Tokenizer::eos() const { return vocab_->eos; }
bool Tokenizer::adds_bos() const { return vocab_->add_bos; }
bool Tokenizer::adds_eos() const { return vocab_->add_eos; }
bool Tokenizer::is_spm() const { return vocab_->kind == VocabKind::spm; }

bool Tokenizer::is_end_of_generation(int32_t id) const {
  return vocab_->end_of_generation.count(id) > 0;
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && id < vocab_->n_tokens() &&
         (vocab_->tokens[id].attr & (attr_control | attr_unknown));
}

std::string_view Tokenizer::token_text(int32_t id) const {
  check_id(id);
  return vocab_->tokens[id].text;
}

int32_t Tokenizer::find_token(std::string_view text) const { return vocab_->find(text); }

std::string StreamDecoder::push(int32_t id) {
  const std::string piece = tokenizer_.token_piece(id);  // checks the id
  if (tokenizer_.is_special(id)) return {};
  pending_ += piece;
  const size_t hold = utf8_incomplete_tail(pending_);
  std::string ready = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return ready;
}

std::string StreamDecoder::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace anymal::text
