// anymal tokenize -m FILE.gguf [--no-bos] (--text S | --file F): the token ids of a text,
// space-separated on one line. Same ids as llama.cpp's `llama-tokenize --ids`: special-token
// text is parsed (e.g. "<|im_start|>" becomes that token), BOS (and EOS, when the vocabulary
// adds it) only where the vocabulary adds BOS. Unlike llama-tokenize, backslash escapes in the
// text are not interpreted: the bytes given are the bytes tokenized.
#include <cstdio>
#include <fstream>
#include <iterator>

#include "commands.h"
#include "core/error.h"
#include "formats/gguf.h"
#include "models/hf/hf_model.h"
#include "text/tokenizer.h"

namespace anymal::cli {

namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string file;
  bool no_bos = false;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorKind::io, "cannot open " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw_error(ErrorKind::io, "cannot read " + path);
  return bytes;
}

}  // namespace

Runner add_tokenize_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("tokenize", "print the token ids of a text (GGUF tokenizer)");
  auto opt = std::make_shared<TokenizeOptions>();
  cmd->add_option("-m,--model", opt->model, "the .gguf file whose tokenizer to use")->required();
  cmd->add_flag("--no-bos", opt->no_bos, "do not add BOS even where the vocabulary adds it");
  auto* text = cmd->add_option("--text", opt->text, "the text to tokenize");
  auto* file = cmd->add_option("--file", opt->file, "a file whose contents to tokenize");
  text->excludes(file);
  return [opt, text, file] {
    if (text->count() == 0 && file->count() == 0) {
      throw_error(ErrorKind::invalid_input, "tokenize: give the text with --text or --file");
    }
    const std::string input = file->count() ? read_file(opt->file) : opt->text;
    const auto gguf = models::open_model_file(opt->model);
    const auto tokenizer = text::Tokenizer::from_gguf(*gguf);
    const bool add_special = tokenizer->adds_bos() && !opt->no_bos;
    const std::vector<int32_t> ids = tokenizer->encode(input, add_special, /*parse_special=*/true);
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) line += ' ';
      line += std::to_string(ids[i]);
    }
    std::printf("%s\n", line.c_str());
    return 0;
  };
}

}  // namespace anymal::cli
