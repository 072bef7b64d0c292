// The server's request side without a model: base64 and data URIs, the OpenAI request parser
// (every field's type and range errors name the field), stop strings split across pieces, and
// conversations written in each chat template.
#include <gtest/gtest.h>

#include "models/anymal/chat_template.h"
#include "serve/api_error.h"
#include "serve/chat_request.h"
#include "serve/data_uri.h"
#include "serve/stop_strings.h"

using namespace anymal;
using namespace anymal::serve;

namespace {

// The error a body gets: its status and the param it names.
std::pair<int, std::string> refusal(const std::string& body) {
  try {
    parse_chat_request(body);
  } catch (const ApiError& e) {
    auto p = e.body()["error"]["param"];
    return {e.status(), p.is_string() ? p.get<std::string>() : ""};
  }
  return {200, ""};
}

const std::string kPngUri = "data:image/png;base64,iVBORw0KGgo=";

}  // namespace

TEST(DataUri, Base64RoundTripsAndRejectsGarbage) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string enc = base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    auto dec = base64_decode(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(std::string(dec->begin(), dec->end()), s);
    // Unpadded input decodes too (some encoders drop the '=').
    while (!enc.empty() && enc.back() == '=') enc.pop_back();
    EXPECT_TRUE(base64_decode(enc));
  }
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("foobar"), 6), "Zm9vYmFy");
  for (const char* bad : {"Zm9v!", "Z", "Zm9vY", "Zg=", "Z===", "Zh==", "Zm 9v"})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(DataUri, ParsesImageUrisAndNamesTheParamOnErrors) {
  DataUri u = parse_data_uri("DATA:Image/PNG;name=x.png;base64,Zm9v", "p");
  EXPECT_EQ(u.media_type, "image/png");
  EXPECT_EQ(std::string(u.bytes.begin(), u.bytes.end()), "foo");
  for (const char* bad : {"https://example.com/cat.png", "data:image/png,raw", "data:image/png",
                          "data:image/png;base64,@@@@"}) {
    try {
      parse_data_uri(bad, "messages[0].content[1].image_url.url");
      ADD_FAILURE() << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.body()["error"]["param"], "messages[0].content[1].image_url.url");
    }
  }
}

TEST(ChatRequest, ParsesTheOpenAiSchema) {
  ChatRequest r = parse_chat_request(R"({
    "model": "m", "max_tokens": 7, "temperature": 0, "top_p": 0.5, "seed": 42,
    "stop": ["\n", "END"], "stream": true, "stream_options": {"include_usage": true},
    "user": "ignored", "presence_penalty": 0,
    "messages": [
      {"role": "developer", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "What is"},
                                   {"type": "image_url", "image_url": {"url": ")" +
                                     kPngUri + R"("}},
                                   {"type": "text", "text": "this?"}]},
      {"role": "assistant", "content": "A cup."},
      {"role": "user", "content": "Sure?"}]})");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_EQ(r.temperature, 0.0f);
  EXPECT_EQ(r.top_p, 0.5f);
  EXPECT_EQ(r.seed, 42u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(r.stream && r.include_usage);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0].role, Role::system);
  EXPECT_EQ(r.messages[1].text, "What is\nthis?");
  ASSERT_EQ(r.messages[1].inputs.size(), 1u);
  EXPECT_EQ(r.messages[1].inputs[0].media_type, "image/png");
  EXPECT_EQ(r.messages[1].inputs[0].bytes.size(), 8u);
  EXPECT_EQ(r.messages[2].role, Role::assistant);
  // Defaults, a single stop string, max_completion_tokens.
  r = parse_chat_request(
      R"({"messages":[{"role":"user","content":"hi"}],"stop":"x","max_completion_tokens":3})");
  EXPECT_EQ(r.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(r.max_tokens, 3);
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.seed);
}

TEST(ChatRequest, EveryBadFieldIsA400NamingIt) {
  const std::string ok_msgs = R"("messages":[{"role":"user","content":"hi"}])";
  auto with = [&](const std::string& field) { return "{" + ok_msgs + "," + field + "}"; };
  EXPECT_EQ(refusal("{"), (std::pair<int, std::string>{400, ""}));
  EXPECT_EQ(refusal("[]").first, 400);
  EXPECT_EQ(refusal("nul"), (std::pair<int, std::string>{400, ""}));
  EXPECT_EQ(refusal(std::string(100000, '[')).first, 400);  // nesting bomb: refused by a scan
  EXPECT_EQ(refusal("{}").second, "messages");
  EXPECT_EQ(refusal(R"({"messages":"hi"})").second, "messages");
  EXPECT_EQ(refusal(R"({"messages":[]})").second, "messages");
  EXPECT_EQ(refusal(R"({"messages":[3]})").second, "messages[0]");
  EXPECT_EQ(refusal(R"({"messages":[{"content":"x"}]})").second, "messages[0].role");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"robot","content":"x"}]})").second, "messages[0].role");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"tool","content":"x"}]})").second, "messages[0].role");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user"}]})").second, "messages[0].content");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user","content":5}]})").second, "messages[0].content");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user","content":[{"type":"audio"}]}]})").second,
            "messages[0].content[0].type");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user","content":[{"text":"x"}]}]})").second,
            "messages[0].content[0].type");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})").second,
            "messages[0].content[0].image_url");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user","content":[{"type":"image_url",
      "image_url":{"url":"data:text/plain;base64,aGk="}}]}]})")
                .second,
            "messages[0].content[0].image_url.url");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"user","content":[{"type":"image_url",
      "image_url":{"url":"http://x/y.png"}}]}]})")
                .second,
            "messages[0].content[0].image_url.url");
  EXPECT_EQ(refusal(R"({"messages":[{"role":"assistant","content":"x"}]})").second, "messages");
  EXPECT_EQ(refusal(with(R"("max_tokens":0)")).second, "max_tokens");
  EXPECT_EQ(refusal(with(R"("max_tokens":"5")")).second, "max_tokens");
  EXPECT_EQ(refusal(with(R"("max_tokens":1.5)")).second, "max_tokens");
  EXPECT_EQ(refusal(with(R"("max_tokens":99999999999999999999)")).second, "max_tokens");
  EXPECT_EQ(refusal(with(R"("temperature":3)")).second, "temperature");
  EXPECT_EQ(refusal(with(R"("temperature":"hot")")).second, "temperature");
  EXPECT_EQ(refusal(with(R"("top_p":-1)")).second, "top_p");
  EXPECT_EQ(refusal(with(R"("seed":"s")")).second, "seed");
  EXPECT_EQ(refusal(with(R"("n":2)")).second, "n");
  EXPECT_EQ(refusal(with(R"("stop":["a","b","c","d","e"])")).second, "stop");
  EXPECT_EQ(refusal(with(R"("stop":[1])")).second, "stop[0]");
  EXPECT_EQ(refusal(with(R"("stop":"")")).second, "stop");
  EXPECT_EQ(refusal(with(R"("stream":"yes")")).second, "stream");
  EXPECT_EQ(refusal(with(R"("stream_options":{"include_usage":1})")).second,
            "stream_options.include_usage");
  // Limits: images per request.
  std::string many = R"({"messages":[{"role":"user","content":[)";
  for (int i = 0; i < 9; ++i)
    many += std::string(i ? "," : "") + R"({"type":"image_url","image_url":{"url":")" + kPngUri +
            R"("}})";
  EXPECT_EQ(refusal(many + "]}]}").second, "messages");
}

TEST(ChatRequest, TakesAudioAndMotionParts) {
  // "foo" in base64 as the audio; the CSV header as the motion. Decoding happens later.
  ChatRequest r = parse_chat_request(R"({"messages": [{"role": "user", "content": [
      {"type": "input_audio", "input_audio": {"data": "Zm9v", "format": "wav"}},
      {"type": "input_imu", "input_imu": {"data": "dCxheA==", "format": "csv"}},
      {"type": "text", "text": "What am I doing?"}]}]})");
  ASSERT_EQ(r.messages[0].inputs.size(), 2u);
  EXPECT_EQ(r.messages[0].inputs[0].kind, models::Modality::audio);
  EXPECT_EQ(r.messages[0].inputs[0].media_type, "audio/wav");
  EXPECT_EQ(std::string(r.messages[0].inputs[0].bytes.begin(), r.messages[0].inputs[0].bytes.end()),
            "foo");
  EXPECT_EQ(r.messages[0].inputs[1].kind, models::Modality::imu);
  EXPECT_EQ(std::string(r.messages[0].inputs[1].bytes.begin(), r.messages[0].inputs[1].bytes.end()),
            "t,ax");
  auto part = [](const std::string& p) {
    return R"({"messages": [{"role": "user", "content": [)" + p + "]}]}";
  };
  EXPECT_EQ(
      refusal(part(R"({"type":"input_audio","input_audio":{"data":"Zm9v","format":"aiff"}})")),
      (std::pair<int, std::string>{400, "messages[0].content[0].input_audio.format"}));
  EXPECT_EQ(refusal(part(R"({"type":"input_audio","input_audio":{"data":"@@"}})")).second,
            "messages[0].content[0].input_audio.data");
  EXPECT_EQ(refusal(part(R"({"type":"input_audio","input_audio":{"format":"wav"}})")).second,
            "messages[0].content[0].input_audio.data");
  EXPECT_EQ(refusal(part(R"({"type":"input_audio","input_audio":"Zm9v"})")).second,
            "messages[0].content[0].input_audio");
  EXPECT_EQ(refusal(part(R"({"type":"input_imu","input_imu":{"data":""}})")).second,
            "messages[0].content[0].input_imu.data");
  EXPECT_EQ(refusal(part(R"({"type":"input_video"})")).second, "messages[0].content[0].type");
  EXPECT_EQ(refusal(R"({"messages": [{"role": "assistant", "content": [
      {"type": "input_audio", "input_audio": {"data": "Zm9v"}}]}, {"role": "user",
      "content": "hi"}]})")
                .second,
            "messages[0].content[0]");
}

TEST(ApiError, JsonTextReplacesInvalidUtf8) {
  // A reply cut inside a 4-byte character; nlohmann's default dump() would throw.
  const std::string text = json_text(nlohmann::json{{"content", "ok \xF0\x9F"}});
  EXPECT_NE(text.find("ok \xEF\xBF\xBD"), std::string::npos) << text;
  EXPECT_NO_THROW(nlohmann::json::parse(text));
}

TEST(StopStrings, HoldsBackPossibleStartsAndCutsBeforeTheStop) {
  StopStrings s({"END", "\n\n"});
  EXPECT_EQ(s.push("Hello E"), "Hello ");  // "E" may begin "END"
  EXPECT_EQ(s.push("ach"), "Each");
  EXPECT_EQ(s.push(" day\n"), " day");
  EXPECT_EQ(s.push("\nmore"), "");  // "\n\n" completed across pieces
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.push("x"), "");
  EXPECT_EQ(s.flush(), "");
  StopStrings t({"END"});
  EXPECT_EQ(t.push("abcEN"), "abc");
  EXPECT_EQ(t.flush(), "EN");  // generation ended: the held tail was not a stop
  StopStrings none({});
  EXPECT_EQ(none.push("abc"), "abc");
}

TEST(ChatTemplate, ConversationsInEachTemplate) {
  using models::ChatRole;
  using models::ChatTemplate;
  const std::vector<models::ChatTurn> one = {{ChatRole::user, "<image>\nhi"}};
  for (ChatTemplate t : {ChatTemplate::llava, ChatTemplate::chatml, ChatTemplate::llama2,
                         ChatTemplate::llama3, ChatTemplate::gemma})
    EXPECT_EQ(models::format_chat(t, one), models::format_user_turn(t, "<image>\nhi", true));
  const std::vector<models::ChatTurn> conv = {{ChatRole::system, "Be brief."},
                                              {ChatRole::user, "a"},
                                              {ChatRole::assistant, "b"},
                                              {ChatRole::user, "c"},
                                              {ChatRole::user, "d"}};
  EXPECT_EQ(models::format_chat(ChatTemplate::llava, conv),
            "Be brief. USER: a ASSISTANT: b\nUSER: c\nd ASSISTANT:");
  EXPECT_EQ(models::format_chat(ChatTemplate::chatml, conv),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\na<|im_end|>\n"
            "<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc\nd<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(models::format_chat(ChatTemplate::llama2, conv),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\na [/INST] b</s><s>[INST] c\nd [/INST]");
}
