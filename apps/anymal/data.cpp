// anymal data synth --out DIR --n N --seed S --split train|val|test [--size PX]
//     [--modality image|sound|motion|speech|combined]: writes the synthetic glasses world as
// LLaVA conversation JSONL, one sample per line. Images: DIR/SPLIT.jsonl (id, image, task,
// heldout, conversations) with the PNGs under DIR/images/. Sounds: DIR/SPLIT.sound.jsonl with
// `audio` (16 kHz WAVs under DIR/audio/, the question after <audio>). Speech:
// DIR/SPLIT.speech.jsonl, the image scenes with their questions spoken (image + audio, the
// words in "transcript"; the same scenes as the image split of that seed). Combined:
// DIR/SPLIT.combined.jsonl, image + motion + a spoken question about one of them. Motion:
// DIR/SPLIT.motion.jsonl with `imu` (CSVs under DIR/imu/, after <imu>). --questions N adds
// follow-up turns about each image scene (the first turn is unchanged). Deterministic for a
// given seed; the JSONL is written last and atomically, so a killed run leaves no index that
// points at missing files.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "data/synth_av_tasks.h"
#include "data/synth_world.h"
#include "formats/audio.h"

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
    int questions = 1;
    std::string modality = "image";
  };
  auto a = std::make_shared<Args>();
  synth->add_option("--out", a->out, "output directory")->required();
  synth->add_option("--n", a->n, "number of samples")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  synth->add_option("--seed", a->seed, "generator seed");
  synth->add_option("--split", a->split, "train, val or test")
      ->check(CLI::IsMember({"train", "val", "test"}));
  synth->add_option("--size", a->size, "image side in pixels (80..256)");
  synth
      ->add_option("--questions", a->questions,
                   "image: questions per scene, the first of its task and up to N-1 follow-up "
                   "turns about the same scene (colour, position, count, existence); default 1")
      ->check(CLI::Range(1, 16));
  synth
      ->add_option("--modality", a->modality,
                   "image (default), sound, motion, or speech (the image questions spoken, "
                   "through espeak-ng)")
      ->check(CLI::IsMember({"image", "sound", "motion", "speech", "combined"}));
  return [a] {
    namespace fs = std::filesystem;
    const data::Split split = data::split_from_name(a->split);
    for (const char* folder : {"images", "audio", "imu"}) {
      std::error_code ec;
      fs::create_directories(fs::path(a->out) / folder, ec);
      if (ec)
        throw_error(ErrorKind::io, "cannot create " + a->out + "/" + folder + ": " + ec.message());
    }
    std::vector<std::string> lines(size_t(a->n));
    auto conversation = [](const std::string& marker, const std::string& q,
                           const std::string& ans) {
      return nlohmann::json{{{"from", "human"}, {"value", marker + "\n" + q}},
                            {{"from", "gpt"}, {"value", ans}}};
    };
    parallel_for(a->n, 8, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "%s_%06lld", a->split.c_str(), static_cast<long long>(i));
        nlohmann::json j;
        if (a->modality == "image") {
          const data::SynthSample s = data::synth_sample(a->seed, split, i, a->size, a->questions);
          const std::string image = std::string("images/") + id + ".png";
          save_png((fs::path(a->out) / image).string(), s.image);
          j = {{"id", id},
               {"image", image},
               {"task", s.task},
               {"heldout", s.heldout},
               {"conversations", conversation("<image>", s.question, s.answer)}};
          for (const auto& [q, ans] : s.follow_ups) {
            j["conversations"].push_back({{"from", "human"}, {"value", q}});
            j["conversations"].push_back({{"from", "gpt"}, {"value", ans}});
          }
        } else if (a->modality == "speech") {
          // The scene's image and its question spoken; the text question is the transcript.
          const data::SpokenSample s = data::synth_spoken_sample(a->seed, split, i, a->size);
          const std::string image = std::string("images/speech_") + id + ".png";
          const std::string audio = std::string("audio/speech_") + id + ".wav";
          save_png((fs::path(a->out) / image).string(), s.scene.image);
          save_wav((fs::path(a->out) / audio).string(), s.audio, kAudioSampleRate);
          j = {{"id", id},
               {"image", image},
               {"audio", audio},
               {"task", s.task},
               {"heldout", s.scene.heldout},
               {"transcript", s.scene.question},
               {"conversations", nlohmann::json{{{"from", "human"}, {"value", "<image>\n<audio>"}},
                                                {{"from", "gpt"}, {"value", s.scene.answer}}}}};
        } else if (a->modality == "combined") {
          const data::CombinedSample s = data::synth_combined_sample(a->seed, split, i, a->size);
          const std::string image = std::string("images/combined_") + id + ".png";
          const std::string audio = std::string("audio/combined_") + id + ".wav";
          const std::string imu = std::string("imu/combined_") + id + ".csv";
          save_png((fs::path(a->out) / image).string(), s.scene.image);
          save_wav((fs::path(a->out) / audio).string(), s.audio, kAudioSampleRate);
          write_file_atomic((fs::path(a->out) / imu).string(), data::motion_csv(s.motion.trace));
          j = {{"id", id},
               {"image", image},
               {"audio", audio},
               {"imu", imu},
               {"task", s.task},
               {"transcript", s.question},
               {"conversations",
                nlohmann::json{{{"from", "human"}, {"value", "<image>\n<audio>\n<imu>"}},
                               {{"from", "gpt"}, {"value", s.answer}}}}};
        } else if (a->modality == "sound") {
          const data::SoundSample s = data::synth_sound_sample(a->seed, split, i);
          const std::string audio = std::string("audio/") + id + ".wav";
          save_wav((fs::path(a->out) / audio).string(), s.audio, kAudioSampleRate);
          j = {{"id", id},
               {"audio", audio},
               {"task", s.task},
               {"conversations", conversation("<audio>", s.question, s.answer)}};
        } else {
          const data::MotionSample s = data::synth_motion_sample(a->seed, split, i);
          const std::string imu = std::string("imu/") + id + ".csv";
          write_file_atomic((fs::path(a->out) / imu).string(), data::motion_csv(s.trace));
          j = {{"id", id},
               {"imu", imu},
               {"task", s.task},
               {"conversations", conversation("<imu>", s.question, s.answer)}};
        }
        lines[size_t(i)] = j.dump() + "\n";
      }
    });
    std::string jsonl;
    for (const std::string& l : lines) jsonl += l;
    const std::string suffix = a->modality == "image" ? ".jsonl" : "." + a->modality + ".jsonl";
    const std::string index = (fs::path(a->out) / (a->split + suffix)).string();
    write_file_atomic(index, jsonl);
    std::printf("%s: %lld %s samples (%s, seed %llu)\n", index.c_str(),
                static_cast<long long>(a->n), a->modality.c_str(), a->split.c_str(),
                static_cast<unsigned long long>(a->seed));
    return 0;
  };
}

}  // namespace anymal::cli
