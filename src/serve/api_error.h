// ApiError: a request the server refuses, as the HTTP status and the OpenAI-style error body
// ({"error": {"message", "type", "param", "code"}}) clients already know how to read.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace anymal::serve {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, const std::string& message, std::string param = {},
           std::string code = {})
      : std::runtime_error(message),
        status_(status),
        type_(std::move(type)),
        param_(std::move(param)),
        code_(std::move(code)) {}

  int status() const { return status_; }
  nlohmann::json body() const {
    nlohmann::json e = {{"message", what()}, {"type", type_}};
    e["param"] = param_.empty() ? nlohmann::json() : nlohmann::json(param_);
    e["code"] = code_.empty() ? nlohmann::json() : nlohmann::json(code_);
    return {{"error", e}};
  }

 private:
  int status_;
  std::string type_, param_, code_;
};

// JSON text for a client. Invalid UTF-8 (a reply cut inside a character, a percent-decoded
// path) becomes U+FFFD instead of throwing, as nlohmann's strict default would.
inline std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// 400 invalid_request_error naming the offending field.
inline ApiError bad_request(const std::string& message, const std::string& param = {}) {
  return ApiError(400, "invalid_request_error", message, param);
}

}  // namespace anymal::serve
