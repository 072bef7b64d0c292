#include "serve/chat_job.h"

#include "core/error.h"
#include "formats/audio.h"
#include "formats/image.h"
#include "formats/imu.h"
#include "models/anymal/media.h"

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
    for (models::Modality kind :
         {models::Modality::image, models::Modality::audio, models::Modality::imu})
      if (m.text.find(models::modality_marker(kind)) != std::string::npos)
        throw bad_request("the text of messages[" + std::to_string(i) + "] holds '" +
                              models::modality_marker(kind) + "', which stands for an input " +
                              "here: send inputs as image_url, input_audio or input_imu parts",
                          "messages[" + std::to_string(i) + "].content");
    std::string text;
    for (size_t j = 0; j < m.inputs.size(); ++j) {
      const ChatInput& in = m.inputs[j];
      const std::string name = "messages[" + std::to_string(i) + "] " +
                               models::modality_name(in.kind) + " " + std::to_string(j);
      PromptInput p;
      p.kind = in.kind;
      p.bytes = in.bytes;
      try {
        if (in.kind == models::Modality::image) {
          p.image = decode_image(in.bytes, name, settings.max_image_pixels);
          if (settings.vision_image_size > 0)
            p.image = pad_and_resize_llava(p.image, settings.vision_image_size);
        } else if (in.kind == models::Modality::audio) {
          p.audio = decode_audio(in.bytes, name).samples;
        } else {
          p.imu = read_imu(
              std::string_view(reinterpret_cast<const char*>(in.bytes.data()), in.bytes.size()),
              name);
        }
      } catch (const Error& e) {
        throw bad_request(e.what(), "messages[" + std::to_string(i) + "].content");
      }
      job.inputs.push_back(std::move(p));
      text += std::string(models::modality_marker(in.kind)) + "\n";
    }
    turns.push_back({chat_role(m.role), text + m.text});
  }
  const models::MediaPrompt prompt =
      models::split_media_prompt(tok, models::format_chat(settings.chat_template, turns), true);
  job.pieces = prompt.pieces;
  ANYMAL_ASSERT(job.pieces.size() == job.inputs.size() + 1);
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
