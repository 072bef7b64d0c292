#include "serve/http_server.h"

#include <httplib.h>

#include <atomic>
#include <ctime>
#include <random>

#include "core/error.h"
#include "core/log.h"
#include "serve/web_ui.h"

namespace anymal::serve {

namespace {

using json = nlohmann::json;
constexpr auto kPoll = std::chrono::milliseconds(100);

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status();
  res.set_content(json_text(e.body()), "application/json");
}

// Length-independent comparison time for same-length keys, and no early exit on a mismatch.
bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned diff = unsigned(a.size() != b.size());
  for (size_t i = 0; i < b.size(); ++i)
    diff |= unsigned(uint8_t(a.empty() ? 0 : a[i % a.size()]) ^ uint8_t(b[i]));
  return diff == 0;
}

std::string completion_id() {
  static std::atomic<uint64_t> counter{0};  // only a request id: unique per process is enough
  char buf[48];
  std::snprintf(buf, sizeof buf, "chatcmpl-%llx-%llu", (unsigned long long)std::time(nullptr),
                (unsigned long long)++counter);
  return buf;
}

json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

std::string sse(const json& j) { return "data: " + json_text(j) + "\n\n"; }

}  // namespace

HttpServer::HttpServer(BatchEngine& engine, const text::Tokenizer& tok, Metrics& metrics,
                       ServerOptions options)
    : engine_(engine),
      tok_(tok),
      metrics_(metrics),
      opt_(std::move(options)),
      http_(std::make_unique<httplib::Server>()) {
  int threads = opt_.http_threads > 0
                    ? opt_.http_threads
                    : engine_.options().n_slots + int(engine_.options().max_queue) + 8;
  if (engine_.vision()) opt_.job.vision_image_size = int(engine_.vision()->config().image_size);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  http_->set_payload_max_length(opt_.max_body_bytes);
  http_->set_read_timeout(30);
  http_->set_write_timeout(30);
  // Responses go out in several small writes (headers, then body or SSE chunks). With Nagle's
  // algorithm each write after the first waits for the ACK of the one before, which a client
  // delays up to 40 ms: measured as 40 ms stalls on about half of short requests.
  http_->set_tcp_nodelay(true);
  routes();
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind() {
  int port = opt_.port;
  if (port == 0)
    port = http_->bind_to_any_port(opt_.host);
  else if (!http_->bind_to_port(opt_.host, port))
    port = -1;
  if (port <= 0)
    throw_error(ErrorKind::io, "cannot listen on " + opt_.host + ":" + std::to_string(opt_.port) +
                                   " (in use, or not an address of this machine)");
  return port;
}

void HttpServer::listen() { http_->listen_after_bind(); }

void HttpServer::stop() {
  if (http_->is_running()) http_->stop();
}

void HttpServer::routes() {
  httplib::Server& s = *http_;

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (opt_.api_key.empty() || req.path == "/health" || req.path == "/" || req.method == "OPTIONS")
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    bool ok =
        auth.rfind(prefix, 0) == 0 && constant_time_equal(auth.substr(prefix.size()), opt_.api_key);
    if (ok) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, ApiError(401, "invalid_request_error",
                             "a valid API key is needed: send 'Authorization: Bearer KEY'", "",
                             "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
  });

  // Statuses the router or body reader set by itself (404, 413, ...) get an OpenAI-style body.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = "HTTP " + std::to_string(res.status);
    if (res.status == 404) message = "no route for " + req.method + " " + req.path;
    if (res.status == 413)
      message =
          req.get_header_value("Content-Type").find("x-www-form-urlencoded") != std::string::npos
              ? "send the body as Content-Type: application/json (form-encoded bodies are "
                "limited to 8 KiB)"
              : "the request body is larger than the server accepts";
    if (res.status == 405) message = req.method + " is not allowed on " + req.path;
    send_error(res, ApiError(res.status, "invalid_request_error", message));
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log_error("serve: handler failed: %s", what.c_str());
        send_error(res, ApiError(500, "server_error", "internal error: " + what));
      });
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    std::string endpoint = req.path;
    if (endpoint != "/" && endpoint != "/health" && endpoint != "/metrics" &&
        endpoint != "/v1/models" && endpoint != "/v1/chat/completions")
      endpoint = "other";  // bounded label set, whatever clients probe
    metrics_.request_done(endpoint, res.status);
    log_debug("serve: %s %s -> %d", req.method.c_str(), req.path.c_str(), res.status);
  });

  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    BatchEngine::Load load = engine_.load();
    json health = {{"status", "ok"},
                   {"slots_idle", engine_.options().n_slots - load.active},
                   {"slots_processing", load.active},
                   {"queued", load.queued}};
    res.set_content(json_text(health), "application/json");
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                   "style-src 'unsafe-inline'; script-src 'unsafe-inline'");
    const std::string_view html = web_ui_html();
    res.set_content(html.data(), html.size(), "text/html; charset=utf-8");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.prometheus_text(), "text/plain; version=0.0.4");
  });
  s.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    json model = {{"id", opt_.model_name},
                  {"object", "model"},
                  {"created", 0},
                  {"owned_by", "anymal"},
                  {"meta", {{"n_ctx", engine_.options().n_ctx}}}};
    res.set_content(json_text(json{{"object", "list"}, {"data", json::array({model})}}),
                    "application/json");
  });
  s.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    try {
      chat_completions(req, res);
    } catch (const ApiError& e) {
      send_error(res, e);
    }
  });
}

void HttpServer::chat_completions(const httplib::Request& req, httplib::Response& res) {
  ChatRequest chat = parse_chat_request(req.body, opt_.request_limits);
  JobSettings settings = opt_.job;
  settings.seed = std::random_device{}() | uint64_t(std::random_device{}()) << 32;
  GenerationJob job = make_generation_job(chat, tok_, settings);
  if (opt_.log_prompts)
    for (const ChatMessage& m : chat.messages) log_info("serve: prompt: %s", m.text.c_str());
  std::shared_ptr<Completion> completion = engine_.submit(std::move(job));
  const std::string id = completion_id();
  const int64_t created = int64_t(std::time(nullptr));
  const std::string model = chat.model.empty() ? opt_.model_name : chat.model;

  if (!chat.stream) {
    std::string text;
    for (;;) {
      const auto until = Clock::now() + kPoll;
      Completion::Update u = completion->next(until, until);  // woken by the end only
      text += u.text;
      if (u.done) break;
    }
    if (completion->error()) throw *completion->error();
    json message = {{"role", "assistant"}, {"content", text}};
    json choice = {{"index", 0},
                   {"message", message},
                   {"logprobs", nullptr},
                   {"finish_reason", finish_reason_name(completion->finish_reason())}};
    res.set_content(json_text(json{{"id", id},
                                   {"object", "chat.completion"},
                                   {"created", created},
                                   {"model", model},
                                   {"choices", json::array({choice})},
                                   {"usage", usage_json(completion->usage())}}),
                    "application/json");
    return;
  }

  auto chunk = [id, created, model](const json& delta, const json& finish) {
    json choice = {
        {"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}};
    return json{{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"choices", json::array({choice})}};
  };
  bool include_usage = chat.include_usage;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  // What the provider keeps between its calls: whether the role chunk went out, and when the
  // last bytes did (a waiting request sends an SSE comment every second, so that a client
  // that left while its request was queued is noticed and its place given up).
  struct StreamState {
    bool started = false;
    Clock::time_point last_write = Clock::now();
    Clock::time_point last_text;  // the first text goes out as soon as it comes
  };
  auto state = std::make_shared<StreamState>();
  res.set_chunked_content_provider(
      "text/event-stream",
      [completion, chunk, include_usage, id, created, model, state,
       interval = opt_.stream_interval](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& data) {
          state->last_write = Clock::now();
          if (sink.write(data.data(), data.size())) return true;
          completion->cancel();  // the client is gone: free its slot
          return false;
        };
        try {
          if (!state->started) {
            state->started = true;
            if (!write(sse(chunk({{"role", "assistant"}, {"content", ""}}, nullptr)))) return false;
          }
          Completion::Update u =
              completion->next(Clock::now() + kPoll, state->last_text + interval);
          if (!u.text.empty()) {
            state->last_text = Clock::now();
            if (!write(sse(chunk({{"content", u.text}}, nullptr)))) return false;
          }
          if (!u.done) {
            if (Clock::now() - state->last_write > std::chrono::seconds(1) &&
                !write(": waiting\n\n"))
              return false;
            return true;
          }
          if (completion->error()) {
            write(sse(completion->error()->body()));
          } else {
            write(sse(chunk(json::object(), finish_reason_name(completion->finish_reason()))));
            if (include_usage)
              write(sse(json{{"id", id},
                             {"object", "chat.completion.chunk"},
                             {"created", created},
                             {"model", model},
                             {"choices", json::array()},
                             {"usage", usage_json(completion->usage())}}));
          }
          write("data: [DONE]\n\n");
          sink.done();
          return true;
        } catch (const std::exception& e) {  // outside httplib's handler: must not escape
          log_error("serve: stream failed: %s", e.what());
          completion->cancel();
          return false;
        }
      },
      [completion](bool) { completion->cancel(); });  // released early or not: nothing to send
}

}  // namespace anymal::serve
