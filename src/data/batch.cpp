#include "data/batch.h"

#include <cstring>

#include "core/error.h"
#include "formats/audio.h"
#include "formats/image.h"
#include "formats/imu.h"
#include "models/anymal/chat_template.h"
#include "models/anymal/vision.h"
#include "models/encoders/vit.h"

namespace anymal::data {

namespace {

std::vector<int32_t> answer_tokens(const text::Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> ids = tok.encode(text, false);
  if (tok.eos() < 0) throw_error(ErrorKind::invalid_input, "the tokenizer has no EOS token");
  ids.push_back(tok.eos());
  return ids;
}

}  // namespace

std::string example_text(const Example& ex) {
  return models::format_user_turn(models::ChatTemplate::llava,
                                  models::media_question(ex.inputs, ex.question), true) +
         " " + ex.answer;
}

models::MultimodalExample multimodal_example(const text::Tokenizer& tok, const Example& ex) {
  models::MultimodalExample m;
  const models::MediaPrompt p = models::split_media_prompt(
      tok, models::format_user_turn(models::ChatTemplate::llava,
                                    models::media_question(ex.inputs, ex.question), true));
  m.before = p.pieces[0];
  m.media = ex.inputs.empty() ? models::Modality::none : ex.inputs[0];
  if (p.pieces.size() > 1) m.after = p.pieces[1];
  for (size_t k = 1; k < ex.inputs.size(); ++k) m.more.push_back({ex.inputs[k], p.pieces[k + 1]});
  m.answer = answer_tokens(tok, " " + ex.answer);
  // Follow-ups continue the conversation as `chat` does: each question is context, each reply
  // (EOS included) a target. One pass over the input then teaches several answers.
  if (!ex.follow_ups.empty()) m.target.assign(m.answer.size(), 1);
  for (const auto& [q, a] : ex.follow_ups) {
    const std::vector<int32_t> turn =
        tok.encode(models::format_user_turn(models::ChatTemplate::llava, q, false), false, true);
    const std::vector<int32_t> reply = answer_tokens(tok, " " + a);
    m.answer.insert(m.answer.end(), turn.begin(), turn.end());
    m.target.insert(m.target.end(), turn.size(), 0);
    m.answer.insert(m.answer.end(), reply.begin(), reply.end());
    m.target.insert(m.target.end(), reply.size(), 1);
  }
  return m;
}

models::MultimodalExample text_example(const text::Tokenizer& tok, const Example& ex) {
  models::MultimodalExample m;
  m.media = models::Modality::none;
  m.before = {tok.bos()};
  // A spoken question's words are its transcript.
  const std::string& q = ex.question.empty() ? ex.transcript : ex.question;
  m.answer = answer_tokens(tok, "USER: " + q + " ASSISTANT: " + ex.answer);
  return m;
}

Tensor load_pixels(const std::vector<const Example*>& examples, int64_t S, const float mean[3],
                   const float std[3]) {
  int64_t n = 0;
  for (const Example* e : examples) n += !e->image.empty();
  Tensor out = Tensor::empty({n, 3, S, S});
  float* dst = out.mutable_data<float>();
  for (const Example* e : examples) {
    if (e->image.empty()) continue;
    const Tensor chw =
        models::pixels_to_chw(preprocess_llava(load_image(e->image), int(S), mean, std), S);
    std::memcpy(dst, chw.data<float>(), size_t(3 * S * S) * sizeof(float));
    dst += 3 * S * S;
  }
  return out;
}

models::MediaBatch load_media(const std::vector<const Example*>& examples,
                              const models::AnymalConfig& c, models::Modality only) {
  models::MediaBatch media;
  std::vector<Audio> clips;
  std::vector<ImuTrace> traces;
  std::vector<const Example*> with_image;
  auto wanted = [&](models::Modality m) { return only == models::Modality::none || only == m; };
  for (const Example* e : examples) {
    if (!e->image.empty() && wanted(models::Modality::image)) with_image.push_back(e);
    if (!e->audio.empty() && wanted(models::Modality::audio)) clips.push_back(load_audio(e->audio));
    if (!e->imu.empty() && wanted(models::Modality::imu)) traces.push_back(load_imu(e->imu));
  }
  if (!with_image.empty())
    media.pixels = load_pixels(with_image, c.vit.image_size, c.mean.data(), c.std.data());
  if (!clips.empty()) {
    std::vector<const std::vector<float>*> p;
    for (const Audio& a : clips) p.push_back(&a.samples);
    media.audio = models::audio_features(p, c.audio.seconds);
  }
  if (!traces.empty()) {
    std::vector<const ImuTrace*> p;
    for (const ImuTrace& t : traces) p.push_back(&t);
    media.imu = models::imu_features(p, c.imu.seconds, c.imu.mean, c.imu.std);
  }
  return media;
}

BatchSampler::BatchSampler(int64_t n, uint64_t seed, uint64_t stream)
    : n_(n), seed_(seed * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull) {
  if (n <= 0) throw_error(ErrorKind::invalid_input, "no examples to sample from");
}

std::vector<int64_t> BatchSampler::batch(int64_t step, int64_t batch_size) {
  std::vector<int64_t> out;
  for (int64_t k = step * batch_size; k < (step + 1) * batch_size; ++k) {
    const int64_t epoch = k / n_;
    if (epoch != epoch_) {
      perm_.resize(size_t(n_));
      for (int64_t i = 0; i < n_; ++i) perm_[size_t(i)] = i;
      Rng rng(seed_ + uint64_t(epoch) * 0xA24BAED4963EE407ull);
      for (int64_t i = n_ - 1; i > 0; --i)
        std::swap(perm_[size_t(i)], perm_[rng.below(uint64_t(i + 1))]);
      epoch_ = epoch;
    }
    out.push_back(perm_[size_t(k % n_)]);
  }
  return out;
}

}  // namespace anymal::data
