// The inputs a prompt can hold besides text, and the markers that place them: <image>, <audio>
// and <imu> (a motion trace) stand where each input's embeddings go, as LLaVA's <image> does.
// Text between markers is tokenized piece by piece (BOS only before the first), control-token
// text parsed as those tokens, as llama.cpp does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace anymal::models {

enum class Modality { none, image, audio, imu };

const char* modality_name(Modality m);    // "image", "audio", "imu" ("text" for none)
const char* modality_marker(Modality m);  // "<image>", "<audio>", "<imu>" ("" for none)

struct MediaPrompt {
  std::vector<std::vector<int32_t>> pieces;  // media.size() + 1 token pieces
  std::vector<Modality> media;               // what goes between pieces[i] and pieces[i + 1]
};

// Splits at every marker, in the order they appear.
MediaPrompt split_media_prompt(const text::Tokenizer& tok, const std::string& prompt,
                               bool add_bos = true);

// The user text for some inputs and a question: one marker per input on its own line, then
// the question ("<image>\n<audio>\nWhat is it?"; no question: "<image>\n<audio>").
std::string media_question(const std::vector<Modality>& inputs, const std::string& question);

}  // namespace anymal::models
