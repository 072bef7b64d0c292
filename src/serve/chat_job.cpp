#include "serve/chat_job.h"

#include "core/error.h"
#include "models/anymal/vision.h"

namespace anymal::serve {

namespace {

models::ChatRole chat_role(Role r) {
  switch (r) {
    case Role::system:
      return models::ChatRole::system;
    case Role::assistant:
      return models::ChatRole::assistant;
    case Role::user:
      break;
  }
  return models::ChatRole::user;
}

}  // namespace

GenerationJob make_generation_job(const ChatRequest& req, const text::Tokenizer& tok,
                                  const JobSettings& settings) {
  if (req.max_tokens && *req.max_tokens > settings.n_ctx)
    throw bad_request("'max_tokens' is " + std::to_string(*req.max_tokens) +
                          ", more than the context of " + std::to_string(settings.n_ctx),
                      "max_tokens");
  GenerationJob job;
  std::vector<models::ChatTurn> turns;
  for (size_t i = 0; i < req.messages.size(); ++i) {
    const ChatMessage& m = req.messages[i];
    if (m.text.find(models::kImageMarker) != std::string::npos)
      throw bad_request("the text of messages[" + std::to_string(i) + "] holds '" +
                            models::kImageMarker +
                            "', which stands for an image here: send images as image_url parts",
                        "messages[" + std::to_string(i) + "].content");
    std::string text;
    for (size_t j = 0; j < m.images.size(); ++j) {
      const std::string name = "messages[" + std::to_string(i) + "] image " + std::to_string(j);
      try {
        Image image = decode_image(m.images[j].bytes, name, settings.max_image_pixels);
        if (settings.vision_image_size > 0)
          image = pad_and_resize_llava(image, settings.vision_image_size);
        job.images.push_back({m.images[j].bytes, std::move(image)});
      } catch (const Error& e) {
        throw bad_request(e.what(), "messages[" + std::to_string(i) + "].content");
      }
      text += std::string(models::kImageMarker) + "\n";
    }
    turns.push_back({chat_role(m.role), text + m.text});
  }
  job.pieces =
      models::split_at_image_markers(tok, models::format_chat(settings.chat_template, turns), true);
  ANYMAL_ASSERT(job.pieces.size() == job.images.size() + 1);
  job.max_tokens = req.max_tokens.value_or(0);
  job.sampling.temperature = req.temperature;
  job.sampling.top_p = req.top_p;
  if (req.top_p <= 0) {  // OpenAI allows 0: only the most likely token, i.e. greedy
    job.sampling.temperature = 0;
    job.sampling.top_p = 1;
  }
  job.sampling.seed = req.seed.value_or(settings.seed);
  job.stop = req.stop;
  job.ignore_eos = req.ignore_eos;
  return job;
}

}  // namespace anymal::serve
