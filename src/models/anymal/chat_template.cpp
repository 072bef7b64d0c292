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

namespace {

// The system prompt ahead of the first user turn (llama2 and gemma put it inside that turn).
std::string system_prefix(ChatTemplate t, const std::string& system) {
  if (system.empty()) return {};
  switch (t) {
    case ChatTemplate::llava:
      return system + " ";
    case ChatTemplate::chatml:
      return "<|im_start|>system\n" + system + "<|im_end|>\n";
    case ChatTemplate::llama3:
      return "<|start_header_id|>system<|end_header_id|>\n\n" + system + "<|eot_id|>";
    case ChatTemplate::llama2:
    case ChatTemplate::gemma:
      return {};
  }
  return {};
}

std::string system_in_first_turn(ChatTemplate t, const std::string& system) {
  if (system.empty()) return {};
  if (t == ChatTemplate::llama2) return "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
  if (t == ChatTemplate::gemma) return system + "\n\n";
  return {};
}

}  // namespace

std::string format_chat(ChatTemplate t, const std::vector<ChatTurn>& turns) {
  std::string system;
  for (const ChatTurn& turn : turns)
    if (turn.role == ChatRole::system) system += (system.empty() ? "" : "\n") + turn.text;
  std::string out = system_prefix(t, system), user;
  bool first = true, have_user = false;
  auto close_user_turn = [&] {
    if (!have_user) return;
    out += format_user_turn(t, (first ? system_in_first_turn(t, system) : "") + user, first);
    first = false;
    have_user = false;
    user.clear();
  };
  for (const ChatTurn& turn : turns) {
    if (turn.role == ChatRole::user) {
      user += (have_user ? "\n" : "") + turn.text;
      have_user = true;
    } else if (turn.role == ChatRole::assistant) {
      close_user_turn();
      // The reply follows the assistant opening as the model wrote it: after a space where
      // the opening ends in a word (llava's "ASSISTANT:", llama2's "[/INST]").
      bool spaced = t == ChatTemplate::llava || t == ChatTemplate::llama2;
      out += (spaced ? " " : "") + turn.text;
    }
  }
  close_user_turn();
  return out;
}

}  // namespace anymal::models
