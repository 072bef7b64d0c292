// anymal tokenizer train --data DATA.jsonl --vocab N --out TOKENIZER.gguf: a byte-level BPE
// vocabulary (gpt2 style, llama.cpp's `gpt2` keys) learned from a dataset's text as the model
// will read it (chat template, question, answer). `anymal train` does the same on its first
// run; this command makes the tokenizer on its own, e.g. to inspect or share it.
#include <cstdio>

#include "commands.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "formats/gguf_writer.h"
#include "text/bpe_trainer.h"

namespace anymal::cli {

Runner add_tokenizer_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("tokenizer", "tokenizers: train a byte-level BPE vocabulary");
  cmd->require_subcommand(1);
  auto* train = cmd->add_subcommand("train", "learn a BPE vocabulary from a dataset's text");
  struct Args {
    std::string data, out;
    int64_t vocab = 4096;
  };
  auto a = std::make_shared<Args>();
  train->add_option("--data", a->data, "LLaVA JSONL dataset")->required();
  train->add_option("--vocab", a->vocab, "vocabulary size incl. 256 bytes and 3 control tokens")
      ->check(CLI::Range(int64_t(259), int64_t(1) << 20));
  train->add_option("--out", a->out, "tokenizer .gguf (vocabulary keys only)")->required();
  return [a] {
    data::DatasetReport report;
    std::vector<std::string> texts;
    for (const auto& ex : data::read_llava_jsonl(a->data, {}, report))
      texts.push_back(data::example_text(ex));
    const text::BpeVocab v = text::train_bpe(texts, a->vocab);
    GgufWriter w;
    w.set_string("general.architecture", "anymal-tokenizer");
    v.write_gguf(w);
    w.write(a->out);
    std::printf("%s: %zu tokens (%zu merges) from %zu texts\n", a->out.c_str(), v.tokens.size(),
                v.merges.size(), texts.size());
    return 0;
  };
}

}  // namespace anymal::cli
