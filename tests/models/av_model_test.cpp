// AnyMAL's audio and IMU towers: adaptive pooling as torch bins it, gradients of the tower
// against finite differences, the config's audio/imu sections, an exported mmproj read back
// by the inference encoders giving the training-side embeddings (through real WAV and CSV
// decoding), a mixed image/audio/IMU/text batch that trains, markers in prompts, and datasets
// with audio and imu inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "autograd/backward.h"
#include "autograd/gradcheck.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "data/dataset.h"
#include "data/synth_av_tasks.h"
#include "formats/audio.h"
#include "formats/gguf.h"
#include "formats/imu.h"
#include "models/anymal/anymal_model.h"
#include "models/anymal/encoders.h"
#include "models/anymal/export.h"
#include "models/anymal/signal_features.h"
#include "models/tiny_anymal.h"
#include "ops/ops.h"
#include "temp_dir.h"
#include "text/bpe_trainer.h"
#include "train/adamw.h"

using namespace anymal;
using namespace anymal::models;
using testkit::TempDir;

namespace {

AnymalConfig av_config(int64_t vocab, const std::string& projector = "mlp") {
  AnymalConfig c = testkit::tiny_anymal_config(vocab);
  c.audio = {16, 1, 2, 32, 8};
  c.audio.seconds = 0.5;  // 50 frames -> 25 encoder steps -> 8 tokens
  c.imu = {16, 1, 2, 32, 6};
  c.imu.seconds = 1.0;  // 50 steps -> 25 -> 6 tokens
  for (SignalConfig* t : {&c.audio, &c.imu}) {
    t->projector = projector;
    t->perceiver_layers = 2;
    t->perceiver_heads = 2;
  }
  return c;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST(SignalTower, PoolsLikeTorchAdaptiveAvgPool) {
  // T = 5 into 3 bins: torch's AdaptiveAvgPool1d averages steps [0,2), [1,4), [3,5).
  Tensor x = Tensor::from_floats({1, 10, 2, 20, 3, 30, 4, 40, 5, 50}, Shape{1, 5, 2});
  Tensor y = nn::adaptive_avg_pool_time(x, 3);
  ASSERT_EQ(y.shape(), (Shape{1, 3, 2}));
  const float want[] = {1.5f, 15, 3, 30, 4.5f, 45};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y.data<float>()[i], want[i]) << i;
  EXPECT_THROW(nn::adaptive_avg_pool_time(x, 6), Error);  // fewer steps than bins
}

TEST(SignalTower, GradientsMatchFiniteDifferences) {
  Rng rng(5);
  nn::SignalTowerConfig c;
  c.encoder.n_in = 3;
  c.encoder.dim = 8;
  c.encoder.n_layer = 1;
  c.encoder.n_head = 2;
  c.encoder.ff = 16;
  c.encoder.max_positions = 8;
  c.n_tokens = 3;
  nn::SignalTower tower(c, 6, rng);
  Tensor x = randn({2, 9, 3}, rng);
  x.set_requires_grad(true);
  const auto r =
      autograd::gradcheck([&](const std::vector<Tensor>& in) { return tower.tokens(in[0]); }, {x});
  EXPECT_TRUE(r.ok()) << r.where;
  EXPECT_EQ(tower.tokens(x).shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(tower.pooled(x).shape(), (Shape{2, 8}));
}

TEST(AvConfig, RoundTripsAndChecksTheWindow) {
  const AnymalConfig c = av_config(300);
  const nlohmann::json j = c.to_json();
  EXPECT_EQ(AnymalConfig::from_json(j, "cfg").to_json(), j);
  EXPECT_FALSE(AnymalConfig::from_json(j, "cfg").imu.std[0] != kImuDefaultStd[0]);
  auto message = [](nlohmann::json bad) {
    try {
      AnymalConfig::from_json(bad, "cfg");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nlohmann::json short_window = j;
  short_window["audio"]["seconds"] = 0.1;  // 5 encoder steps for 8 tokens
  EXPECT_NE(message(short_window).find("fewer than the 8 tokens"), std::string::npos);
  nlohmann::json unknown = j;
  unknown["imu"]["rate"] = 100;
  EXPECT_NE(message(unknown).find("cfg.imu: unknown key \"rate\""), std::string::npos);
  nlohmann::json bad_std = j;
  bad_std["imu"]["std"] = {1, 1, 1, 1, 1, 0};
  EXPECT_NE(message(bad_std).find("each positive"), std::string::npos);
  nlohmann::json audio_mean = j;
  audio_mean["audio"]["mean"] = {0, 0, 0, 0, 0, 0};  // channel stats are the IMU's
  EXPECT_NE(message(audio_mean).find("unknown key \"mean\""), std::string::npos);
  const nlohmann::json pj = av_config(300, "perceiver").to_json();
  EXPECT_EQ(pj["audio"]["projector"], "perceiver");
  EXPECT_EQ(AnymalConfig::from_json(pj, "cfg").to_json(), pj);
  EXPECT_FALSE(j["audio"].contains("projector"));  // mlp, the default, is not written
  nlohmann::json bad_projector = j;
  bad_projector["imu"]["projector"] = "conv";
  EXPECT_NE(message(bad_projector).find("projector must be"), std::string::npos);
  // A config without audio/imu writes neither (older checkpoints compare equal).
  AnymalConfig plain = c;
  plain.audio = {};
  plain.imu = {};
  EXPECT_FALSE(plain.to_json().contains("audio"));
}

class AvExport : public ::testing::TestWithParam<std::string> {};

TEST_P(AvExport, ExportedTowersGiveTheTrainingEmbeddings) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  const text::BpeVocab vocab =
      text::train_bpe({"USER: What's that sound? ASSISTANT: a siren"}, 280);
  Rng rng(9);
  AnymalModel model(av_config(int64_t(vocab.tokens.size()), GetParam()), rng);
  TempDir tmp("av_export_" + GetParam());
  const std::string mmproj = tmp.str("mmproj.gguf");
  export_mmproj(model, mmproj, GgmlType::f32);
  auto f = GgufFile::open(mmproj);
  EXPECT_TRUE(f->get_bool("clip.has_audio_encoder"));
  EXPECT_EQ(f->get_int("clip.audio.num_mel_bins"), 80);
  const bool mlp = GetParam() == "mlp";
  EXPECT_EQ(f->get_string("clip.audio.projector_type"),
            mlp ? "anymal_pool_mlp" : "anymal_perceiver");
  EXPECT_TRUE(f->find_tensor("a.blk.0.ln1.weight") && f->find_tensor("a.conv1d.2.weight") &&
              f->find_tensor("imu.blk.0.attn_out.weight"));
  EXPECT_TRUE(mlp ? f->find_tensor("mm.a.mlp.2.bias") && f->find_tensor("mm.imu.mlp.0.weight")
                  : f->find_tensor("mm.a.perceiver.latents") &&
                        f->find_tensor("mm.imu.perceiver.blk.1.attn_q.weight"));
  EXPECT_FALSE(f->find_tensor("clip_head.audio.weight"));  // contrastive heads stay behind

  const Encoders enc = Encoders::load(mmproj, 32);
  ASSERT_TRUE(enc.audio && enc.imu && enc.vision);
  EXPECT_EQ(enc.n_tokens(Modality::audio), 8);
  EXPECT_EQ(enc.n_tokens(Modality::imu), 6);

  // Audio through a real WAV file (16-bit: what the model reads is the decoded file).
  const data::SoundSample s = data::synth_sound_sample(3, data::Split::val, 1);
  write_text(
      tmp.str("q.wav"),
      std::string(reinterpret_cast<const char*>(encode_wav(s.audio, kAudioSampleRate).data()),
                  encode_wav(s.audio, kAudioSampleRate).size()));
  const Audio decoded = load_audio(tmp.str("q.wav"));
  Tensor want = model.media_tokens(Modality::audio, audio_features({&decoded.samples}, 0.5));
  Tensor got = enc.embed_file(Modality::audio, tmp.str("q.wav"));
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-4f) << i;

  // Motion through a CSV.
  const data::MotionSample m = data::synth_motion_sample(3, data::Split::val, 2);
  write_text(tmp.str("m.csv"), data::motion_csv(m.trace));
  const ImuTrace trace = load_imu(tmp.str("m.csv"));
  want = model.media_tokens(Modality::imu,
                            imu_features({&trace}, 1.0, kImuDefaultMean, kImuDefaultStd));
  got = enc.embed_file(Modality::imu, tmp.str("m.csv"));
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-4f) << i;

  // Bad input is named; a model without a tower says so.
  write_text(tmp.str("bad.csv"), "t,ax,ay\n0,1,2\n");
  EXPECT_THROW(enc.embed_file(Modality::imu, tmp.str("bad.csv")), Error);
  AnymalConfig vision_only = av_config(int64_t(vocab.tokens.size()));
  vision_only.audio = {};
  vision_only.imu = {};
  AnymalModel plain(vision_only, rng);
  export_mmproj(plain, tmp.str("plain.gguf"), GgmlType::f32);
  const Encoders penc = Encoders::load(tmp.str("plain.gguf"));
  EXPECT_FALSE(penc.has(Modality::audio));
  try {
    penc.embed_file(Modality::audio, tmp.str("q.wav"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no audio encoder"), std::string::npos);
  }
  EXPECT_THROW(Encoders::load(mmproj, 48), Error);  // projects to 32, not 48
}

INSTANTIATE_TEST_SUITE_P(Projectors, AvExport, ::testing::Values("mlp", "perceiver"));

TEST(AvModel, AMixedBatchTrains) {
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  Rng rng(2);
  AnymalModel model(av_config(300), rng);
  std::vector<MultimodalExample> batch(5);
  batch[0] = {{298, 5}, {7}, {40, 299}, Modality::image};
  batch[1] = {{298, 6}, {8}, {41, 299}, Modality::audio};
  batch[2] = {{298, 7}, {9}, {42, 43, 299}, Modality::imu};
  batch[3] = {{298, 9}, {}, {50, 299}, Modality::none};
  // An image and a spoken question about it: before, image, after, audio, text, answer.
  batch[4] = {{298, 10}, {11}, {44, 299}, Modality::image, {{Modality::audio, {12, 13}}}};
  EXPECT_EQ(batch[4].inputs(), (std::vector<Modality>{Modality::image, Modality::audio}));
  EXPECT_EQ(batch[4].n_text(), 5);
  MediaBatch media{randn({2, 3, 32, 32}, rng), randn({2, 50, 80}, rng), randn({1, 50, 6}, rng)};
  model.set_requires_grad(false);
  model.audio->set_requires_grad(true);
  model.imu->set_requires_grad(true);
  train::AdamWOptions opt;
  opt.lr = 3e-3f;
  train::AdamW adam(model.trainable_parameters(), opt);
  const float first = model.loss(batch, media).item();
  for (int i = 0; i < 20; ++i) {
    adam.zero_grad();
    Tensor loss = model.loss(batch, media);
    autograd::backward(loss);
    adam.step();
  }
  EXPECT_LT(model.loss(batch, media).item(), first - 0.1f);
  // Inputs must match the examples that need them.
  MediaBatch missing = media;
  missing.imu = Tensor();
  EXPECT_THROW(model.loss(batch, missing), Error);
  AnymalModel no_audio(AnymalConfig::from_json(
                           [] {
                             nlohmann::json j = av_config(300).to_json();
                             j.erase("audio");
                             return j;
                           }(),
                           "cfg"),
                       rng);
  EXPECT_THROW(no_audio.loss(batch, media), Error);
}

TEST(MediaPrompt, SplitsAtEveryMarkerInOrder) {
  const text::BpeVocab vocab = text::train_bpe({"USER: hello there ASSISTANT:"}, 270);
  GgufWriter w;
  vocab.write_gguf(w);
  auto tok = text::Tokenizer::from_gguf(*w.to_memory("bpe"));
  const std::string q = media_question({Modality::image, Modality::audio, Modality::imu}, "hi");
  EXPECT_EQ(q, "<image>\n<audio>\n<imu>\nhi");
  const MediaPrompt p = split_media_prompt(*tok, "USER: " + q);
  ASSERT_EQ(p.media, (std::vector<Modality>{Modality::image, Modality::audio, Modality::imu}));
  ASSERT_EQ(p.pieces.size(), 4u);
  EXPECT_EQ(tok->decode(p.pieces[0]), "USER: ");
  EXPECT_EQ(p.pieces[0].front(), tok->bos());
  EXPECT_EQ(tok->decode(p.pieces[3]), "\nhi");
  EXPECT_EQ(split_media_prompt(*tok, "no inputs").media.size(), 0u);
}

TEST(AvDataset, ReadsAudioAndImuLinesAndSkipsBadOnes) {
  TempDir tmp("av_data");
  write_text(tmp.str("a.wav"), "x");
  write_text(tmp.str("m.csv"), "x");
  auto line = [](const std::string& key, const std::string& file, const std::string& q) {
    return nlohmann::json{
        {key, file},
        {"task", "t"},
        {"conversations", {{{"from", "human"}, {"value", q}}, {{"from", "gpt"}, {"value", "a"}}}}}
        .dump();
  };
  std::string text;
  for (int i = 0; i < 200; ++i) text += line("audio", "a.wav", "<audio>\nWhat's that?") + "\n";
  text += line("imu", "m.csv", "<imu>\nWhat am I doing?") + "\n";
  text += line("audio", "a.wav", "no marker") + "\n";
  // Three inputs, in the order their markers stand; a spoken question needs no text.
  nlohmann::json three = nlohmann::json::parse(line("audio", "a.wav", "<imu>\n<image>\n<audio>"));
  three["image"] = "a.wav";
  three["imu"] = "m.csv";
  text += three.dump() + "\n";
  write_text(tmp.str("d.jsonl"), text);
  data::DatasetReport report;
  const auto ex = data::read_llava_jsonl(tmp.str("d.jsonl"), {}, report);
  ASSERT_EQ(ex.size(), 202u);
  EXPECT_EQ(ex[201].inputs,
            (std::vector<Modality>{Modality::imu, Modality::image, Modality::audio}));
  EXPECT_EQ(ex[201].question, "");
  EXPECT_EQ(ex[0].inputs, std::vector<Modality>{Modality::audio});
  EXPECT_EQ(ex[0].question, "What's that?");
  EXPECT_EQ(ex[200].inputs, std::vector<Modality>{Modality::imu});
  EXPECT_EQ(ex[200].path_of(Modality::imu), tmp.str("m.csv"));
  EXPECT_EQ(report.skipped.at("<audio> count not matching audio files"), 1);
}
