#include "data/batch.h"

#include <cstring>

#include "core/error.h"
#include "formats/image.h"
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
  const std::string q = ex.image.empty() ? ex.question : "<image>\n" + ex.question;
  return models::format_user_turn(models::ChatTemplate::llava, q, true) + " " + ex.answer;
}

models::MultimodalExample multimodal_example(const text::Tokenizer& tok, const Example& ex) {
  models::MultimodalExample m;
  if (ex.image.empty()) {
    m.has_image = false;
    m.before = tok.encode(models::format_user_turn(models::ChatTemplate::llava, ex.question, true),
                          true, true);
  } else {
    const models::ImagePrompt p = models::split_image_prompt(
        tok,
        models::format_user_turn(models::ChatTemplate::llava, "<image>\n" + ex.question, true));
    m.before = p.before;
    m.after = p.after;
  }
  m.answer = answer_tokens(tok, " " + ex.answer);
  return m;
}

models::MultimodalExample text_example(const text::Tokenizer& tok, const Example& ex) {
  models::MultimodalExample m;
  m.has_image = false;
  m.before = {tok.bos()};
  m.answer = answer_tokens(tok, "USER: " + ex.question + " ASSISTANT: " + ex.answer);
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
