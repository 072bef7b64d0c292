// anymal data synth --out DIR --n N --seed S --split train|val|test [--size PX]: writes the
// synthetic glasses world as LLaVA conversation JSONL (DIR/SPLIT.jsonl, one sample per line:
// id, image, task, heldout, conversations) with the PNGs under DIR/images/. Deterministic for
// a given seed; the JSONL is written last and atomically, so a killed run leaves no index
// that points at missing images.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "data/synth_world.h"

namespace anymal::cli {

Runner add_data_command(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("data", "datasets: generate the synthetic glasses world");
  cmd->require_subcommand(1);
  auto* synth = cmd->add_subcommand("synth", "write N samples of the synthetic world");
  struct Args {
    std::string out, split = "train";
    int64_t n = 1000;
    uint64_t seed = 1;
    int size = 96;
  };
  auto a = std::make_shared<Args>();
  synth->add_option("--out", a->out, "output directory")->required();
  synth->add_option("--n", a->n, "number of samples")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  synth->add_option("--seed", a->seed, "generator seed");
  synth->add_option("--split", a->split, "train, val or test")
      ->check(CLI::IsMember({"train", "val", "test"}));
  synth->add_option("--size", a->size, "image side in pixels (80..256)");
  return [a] {
    namespace fs = std::filesystem;
    const data::Split split = data::split_from_name(a->split);
    std::error_code ec;
    fs::create_directories(fs::path(a->out) / "images", ec);
    if (ec) throw_error(ErrorKind::io, "cannot create " + a->out + "/images: " + ec.message());
    std::vector<std::string> lines(size_t(a->n));
    parallel_for(a->n, 8, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const data::SynthSample s = data::synth_sample(a->seed, split, i, a->size);
        char id[32];
        std::snprintf(id, sizeof id, "%s_%06lld", a->split.c_str(), static_cast<long long>(i));
        const std::string image = std::string("images/") + id + ".png";
        save_png((fs::path(a->out) / image).string(), s.image);
        nlohmann::json j = {{"id", id},
                            {"image", image},
                            {"task", s.task},
                            {"heldout", s.heldout},
                            {"conversations",
                             {{{"from", "human"}, {"value", "<image>\n" + s.question}},
                              {{"from", "gpt"}, {"value", s.answer}}}}};
        lines[size_t(i)] = j.dump() + "\n";
      }
    });
    std::string jsonl;
    for (const std::string& l : lines) jsonl += l;
    const std::string index = (fs::path(a->out) / (a->split + ".jsonl")).string();
    write_file_atomic(index, jsonl);
    std::printf("%s: %lld samples (%s, seed %llu, %d px)\n", index.c_str(),
                static_cast<long long>(a->n), a->split.c_str(),
                static_cast<unsigned long long>(a->seed), a->size);
    return 0;
  };
}

}  // namespace anymal::cli
