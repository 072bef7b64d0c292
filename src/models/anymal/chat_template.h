// Chat templates: how a user's turn is written so that the model answers as it was trained.
// A GGUF's `tokenizer.chat_template` is a Jinja program; rather than run Jinja, the common
// families are recognised by their markers (as llama.cpp's llm_chat_detect_template does) and
// written out here. A file without a template, or with one not recognised, gets LLaVA-1.5's.
#pragma once

#include <string>
#include <vector>

#include "formats/gguf.h"

namespace anymal::models {

enum class ChatTemplate { llava, chatml, llama2, llama3, gemma };

const char* chat_template_name(ChatTemplate t);
// From the template text (empty: llava).
ChatTemplate detect_chat_template(const std::string& jinja);
// From a model file's tokenizer.chat_template (absent: llava).
ChatTemplate chat_template_of(const GgufFile& f);

// The text of one user turn and the opening of the assistant's, the reply following directly.
// `first`: the conversation's first turn (later turns are preceded by the previous reply).
// The message may hold <image>. Control-token text in the result must be tokenized with
// parse_special.
std::string format_user_turn(ChatTemplate t, const std::string& message, bool first);

enum class ChatRole { system, user, assistant };
struct ChatTurn {
  ChatRole role = ChatRole::user;
  std::string text;  // may hold <image> markers (user turns)
};
// A whole conversation up to the opening of the assistant's reply. System turns are gathered
// into the template's system prompt; consecutive user turns are joined by newlines; assistant
// turns are earlier replies. A conversation of one user turn gives exactly
// format_user_turn(t, text, true), so the server and `anymal ask` prompt alike.
std::string format_chat(ChatTemplate t, const std::vector<ChatTurn>& turns);

}  // namespace anymal::models
