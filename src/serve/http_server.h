// The OpenAI-compatible HTTP API over a BatchEngine (cpp-httplib):
//   POST /v1/chat/completions  (JSON or server-sent events with "data: [DONE]")
//   GET  /v1/models, /health, /metrics (Prometheus text), /  (the web page)
// With an API key, everything but /health and / needs "Authorization: Bearer KEY" (compared in
// constant time). Every refusal is an OpenAI-style {"error": {...}} with its 4xx status.
// Prompts are not logged unless log_prompts.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "serve/batch_engine.h"
#include "serve/chat_job.h"
#include "serve/metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace anymal::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (tests)
  std::string api_key;
  std::string model_name = "anymal";
  size_t max_body_bytes = size_t{32} << 20;
  int http_threads = 0;  // 0: enough for every slot and queued request, plus a few
  RequestLimits request_limits;
  JobSettings job;  // chat template, image pixel limit, context
  bool log_prompts = false;
  // A stream sends what the engine produced at most this often (0: every token as it comes).
  // At thousands of tokens/s (a small model), one write, wake-up and client parse per token
  // cost the engine the CPU it decodes with; 10 ms is still 100 updates a second.
  std::chrono::milliseconds stream_interval{10};
};

class HttpServer {
 public:
  HttpServer(BatchEngine& engine, const text::Tokenizer& tok, Metrics& metrics,
             ServerOptions options);
  ~HttpServer();

  // Binds host:port; returns the port (the chosen one for port 0). Throws Error(io) when the
  // address cannot be bound.
  int bind();
  // Serves until stop() (from another thread or a signal handler's thread).
  void listen();
  void stop();

 private:
  void routes();
  void chat_completions(const httplib::Request& req, httplib::Response& res);

  BatchEngine& engine_;
  const text::Tokenizer& tok_;
  Metrics& metrics_;
  ServerOptions opt_;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace anymal::serve
