#include "serve/chat_request.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "serve/api_error.h"
#include "serve/data_uri.h"

namespace anymal::serve {

namespace {

using json = nlohmann::json;

// Depth of [ and { nesting outside strings: refused before parsing, so that a body of a
// million '[' costs a scan, not a deep tree.
int max_nesting_depth(std::string_view s) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

const char* type_name(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

[[noreturn]] void wrong_type(const json& v, const std::string& param, const char* expected) {
  throw bad_request("'" + param + "' must be " + expected + ", not " + type_name(v), param);
}

double number_in(const json& v, const std::string& param, double lo, double hi) {
  if (!v.is_number()) wrong_type(v, param, "a number");
  double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw bad_request("'" + param + "' must be between " + json(lo).dump() + " and " +
                          json(hi).dump() + ", not " + v.dump(),
                      param);
  return x;
}

int64_t integer_in(const json& v, const std::string& param, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) wrong_type(v, param, "an integer");
  const bool too_big =
      v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(hi) : v.get<int64_t>() > hi;
  if (too_big)
    throw bad_request("'" + param + "' must be at most " + std::to_string(hi) + ", not " + v.dump(),
                      param);
  const int64_t x = v.is_number_unsigned() ? int64_t(v.get<uint64_t>()) : v.get<int64_t>();
  if (x < lo)
    throw bad_request(
        "'" + param + "' must be at least " + std::to_string(lo) + ", not " + v.dump(), param);
  return x;
}

const std::string& string_at(const json& v, const std::string& param) {
  if (!v.is_string()) wrong_type(v, param, "a string");
  return v.get_ref<const std::string&>();
}

Role parse_role(const json& v, const std::string& param) {
  const std::string& r = string_at(v, param);
  if (r == "system" || r == "developer") return Role::system;
  if (r == "user") return Role::user;
  if (r == "assistant") return Role::assistant;
  throw bad_request("unknown role '" + r + "' in '" + param +
                        "': use system, developer, user or assistant (tools are not supported)",
                    param);
}

ChatInput parse_image_part(const json& part, const std::string& param) {
  auto it = part.find("image_url");
  if (it == part.end())
    throw bad_request("an image_url part needs 'image_url'", param + ".image_url");
  // {"url": "..."} per the schema; a bare string is accepted too (some clients send it).
  const json* url = &*it;
  std::string url_param = param + ".image_url";
  if (it->is_object()) {
    auto u = it->find("url");
    url_param += ".url";
    if (u == it->end()) throw bad_request("'" + url_param + "' is missing", url_param);
    url = &*u;
  }
  DataUri uri = parse_data_uri(string_at(*url, url_param), url_param);
  if (uri.media_type.rfind("image/", 0) != 0)
    throw bad_request("'" + url_param + "' holds " + uri.media_type + ", not an image", url_param);
  if (uri.bytes.empty()) throw bad_request("'" + url_param + "' holds no data", url_param);
  return {models::Modality::image, uri.media_type, std::move(uri.bytes)};
}

// input_audio / input_imu: {"data": base64, "format": one of `formats`}.
ChatInput parse_signal_part(const json& part, const std::string& param, models::Modality kind) {
  const std::string key = kind == models::Modality::audio ? "input_audio" : "input_imu";
  const std::vector<std::string> formats = kind == models::Modality::audio
                                               ? std::vector<std::string>{"wav", "flac", "ogg"}
                                               : std::vector<std::string>{"csv"};
  auto it = part.find(key);
  const std::string kp = param + "." + key;
  if (it == part.end()) throw bad_request("an " + key + " part needs '" + key + "'", kp);
  if (!it->is_object()) wrong_type(*it, kp, "an object");
  auto data = it->find("data");
  if (data == it->end()) throw bad_request("'" + kp + ".data' is missing", kp + ".data");
  std::string format = formats[0];
  if (auto f = it->find("format"); f != it->end()) format = string_at(*f, kp + ".format");
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    std::string list;
    for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
    throw bad_request("'" + kp + ".format' is " + format + ": use " + list, kp + ".format");
  }
  auto bytes = base64_decode(string_at(*data, kp + ".data"));
  if (!bytes) throw bad_request("'" + kp + ".data' is not valid base64", kp + ".data");
  if (bytes->empty()) throw bad_request("'" + kp + ".data' holds no data", kp + ".data");
  return {kind, (kind == models::Modality::audio ? "audio/" : "text/") + format, std::move(*bytes)};
}

ChatMessage parse_message(const json& m, const std::string& param) {
  if (!m.is_object()) wrong_type(m, param, "an object");
  ChatMessage msg;
  auto role = m.find("role");
  if (role == m.end()) throw bad_request("'" + param + ".role' is missing", param + ".role");
  msg.role = parse_role(*role, param + ".role");
  auto content = m.find("content");
  if (content == m.end() || content->is_null())
    throw bad_request("'" + param + ".content' is missing", param + ".content");
  if (content->is_string()) {
    msg.text = content->get<std::string>();
    return msg;
  }
  if (!content->is_array()) wrong_type(*content, param + ".content", "a string or an array");
  for (size_t i = 0; i < content->size(); ++i) {
    const json& part = (*content)[i];
    std::string pp = param + ".content[" + std::to_string(i) + "]";
    if (!part.is_object()) wrong_type(part, pp, "an object");
    auto type = part.find("type");
    if (type == part.end()) throw bad_request("'" + pp + ".type' is missing", pp + ".type");
    const std::string& t = string_at(*type, pp + ".type");
    if (t == "text") {
      auto text = part.find("text");
      if (text == part.end()) throw bad_request("'" + pp + ".text' is missing", pp + ".text");
      if (!msg.text.empty()) msg.text += "\n";
      msg.text += string_at(*text, pp + ".text");
    } else if (t == "image_url" || t == "input_audio" || t == "input_imu") {
      if (msg.role != Role::user)
        throw bad_request("images, audio and motion are only accepted in user messages", pp);
      msg.inputs.push_back(t == "image_url" ? parse_image_part(part, pp)
                           : t == "input_audio"
                               ? parse_signal_part(part, pp, models::Modality::audio)
                               : parse_signal_part(part, pp, models::Modality::imu));
    } else {
      throw bad_request("unsupported content part type '" + t +
                            "': use text, image_url, input_audio or input_imu",
                        pp + ".type");
    }
  }
  return msg;
}

}  // namespace

ChatRequest parse_chat_request(std::string_view body, const RequestLimits& limits) {
  if (max_nesting_depth(body) > limits.json_max_depth)
    throw bad_request("the JSON body nests deeper than " + std::to_string(limits.json_max_depth));
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded())
    throw bad_request("the body is not valid JSON: send a chat completion request object");
  if (!doc.is_object()) wrong_type(doc, "body", "a JSON object");
  ChatRequest req;
  if (auto it = doc.find("model"); it != doc.end() && !it->is_null())
    req.model = string_at(*it, "model");

  auto msgs = doc.find("messages");
  if (msgs == doc.end()) throw bad_request("'messages' is missing", "messages");
  if (!msgs->is_array()) wrong_type(*msgs, "messages", "an array");
  if (msgs->empty()) throw bad_request("'messages' is empty", "messages");
  if (msgs->size() > limits.max_messages)
    throw bad_request("more than " + std::to_string(limits.max_messages) + " messages", "messages");
  size_t n_inputs = 0;
  for (size_t i = 0; i < msgs->size(); ++i) {
    req.messages.push_back(parse_message((*msgs)[i], "messages[" + std::to_string(i) + "]"));
    n_inputs += req.messages.back().inputs.size();
    if (n_inputs > limits.max_inputs)
      throw bad_request("more than " + std::to_string(limits.max_inputs) +
                            " images, sounds and motions in one request",
                        "messages");
  }
  if (req.messages.back().role == Role::assistant)
    throw bad_request("the last message must not be the assistant's: nothing to answer",
                      "messages");

  for (const char* key : {"max_tokens", "max_completion_tokens"})
    if (auto it = doc.find(key); it != doc.end() && !it->is_null())
      req.max_tokens = integer_in(*it, key, 1, INT64_MAX);
  if (auto it = doc.find("temperature"); it != doc.end() && !it->is_null())
    req.temperature = float(number_in(*it, "temperature", 0, 2));
  if (auto it = doc.find("top_p"); it != doc.end() && !it->is_null())
    req.top_p = float(number_in(*it, "top_p", 0, 1));
  if (auto it = doc.find("seed"); it != doc.end() && !it->is_null())
    req.seed = uint64_t(integer_in(*it, "seed", INT64_MIN, INT64_MAX));
  if (auto it = doc.find("n"); it != doc.end() && !it->is_null()) integer_in(*it, "n", 1, 1);
  if (auto it = doc.find("stop"); it != doc.end() && !it->is_null()) {
    if (it->is_string()) {
      req.stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > 4) throw bad_request("'stop' holds at most 4 strings", "stop");
      for (size_t i = 0; i < it->size(); ++i)
        req.stop.push_back(string_at((*it)[i], "stop[" + std::to_string(i) + "]"));
    } else {
      wrong_type(*it, "stop", "a string or an array of strings");
    }
    for (const std::string& s : req.stop)
      if (s.empty()) throw bad_request("'stop' strings must not be empty", "stop");
  }
  if (auto it = doc.find("stream"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) wrong_type(*it, "stream", "a boolean");
    req.stream = it->get<bool>();
  }
  if (auto it = doc.find("ignore_eos"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) wrong_type(*it, "ignore_eos", "a boolean");
    req.ignore_eos = it->get<bool>();
  }
  if (auto it = doc.find("stream_options"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) wrong_type(*it, "stream_options", "an object");
    if (auto u = it->find("include_usage"); u != it->end() && !u->is_null()) {
      if (!u->is_boolean()) wrong_type(*u, "stream_options.include_usage", "a boolean");
      req.include_usage = u->get<bool>();
    }
  }
  return req;
}

}  // namespace anymal::serve
