#include "models/anymal/chat_template.h"

namespace anymal::models {

const char* chat_template_name(ChatTemplate t) {
  switch (t) {
    case ChatTemplate::llava:
      return "llava";
    case ChatTemplate::chatml:
      return "chatml";
    case ChatTemplate::llama2:
      return "llama2";
    case ChatTemplate::llama3:
      return "llama3";
    case ChatTemplate::gemma:
      return "gemma";
  }
  return "?";
}

ChatTemplate detect_chat_template(const std::string& jinja) {
  auto has = [&](const char* s) { return jinja.find(s) != std::string::npos; };
  if (has("<|im_start|>")) return ChatTemplate::chatml;
  if (has("<|start_header_id|>")) return ChatTemplate::llama3;
  if (has("<start_of_turn>")) return ChatTemplate::gemma;
  if (has("[INST]")) return ChatTemplate::llama2;
  return ChatTemplate::llava;
}

ChatTemplate chat_template_of(const GgufFile& f) {
  return detect_chat_template(f.get_string("tokenizer.chat_template", ""));
}

std::string format_user_turn(ChatTemplate t, const std::string& message, bool first) {
  switch (t) {
    case ChatTemplate::llava:
      return std::string(first ? "" : "\n") + "USER: " + message + " ASSISTANT:";
    case ChatTemplate::chatml:
      return std::string(first ? "" : "<|im_end|>\n") + "<|im_start|>user\n" + message +
             "<|im_end|>\n<|im_start|>assistant\n";
    case ChatTemplate::llama2:
      return std::string(first ? "" : "</s><s>") + "[INST] " + message + " [/INST]";
    case ChatTemplate::llama3:
      return std::string(first ? "" : "<|eot_id|>") +
             "<|start_header_id|>user<|end_header_id|>\n\n" + message +
             "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    case ChatTemplate::gemma:
      return std::string(first ? "" : "<end_of_turn>\n") + "<start_of_turn>user\n" + message +
             "<end_of_turn>\n<start_of_turn>model\n";
  }
  return message;
}

}  // namespace anymal::models
