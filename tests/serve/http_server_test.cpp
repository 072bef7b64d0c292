// The HTTP API end to end over loopback with cpp-httplib's client: every endpoint, streaming
// and not, the demo model answering about an image, and every error path (bad JSON, wrong
// types, missing fields, unknown roles, non-image and broken images, oversized images and
// bodies, max_tokens beyond the context, wrong API keys, a client that vanishes mid-stream),
// each an OpenAI-style error after which the server keeps serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/thread_pool.h"
#include "models/anymal/chat_template.h"
#include "serve/data_uri.h"
#include "serve/http_server.h"

using namespace anymal;
using namespace anymal::serve;
using json = nlohmann::json;

namespace {

const std::string kDemo = std::string(ANYMAL_SOURCE_DIR) + "/models/demo";
const std::string kExamples = std::string(ANYMAL_SOURCE_DIR) + "/examples";
const std::string kTinyLlm = std::string(ANYMAL_SHARED_FIXTURES) + "/llm/tiny-llama-gqa-f16.gguf";

std::string data_uri(const std::string& file, const std::string& type = "image/png") {
  std::ifstream in(kExamples + "/" + file, std::ios::binary);
  std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  return "data:" + type + ";base64," + base64_encode(bytes.data(), bytes.size());
}

json ask_body(const std::string& question, const std::string& image_uri) {
  json content = json::array({{{"type", "text"}, {"text", question}}});
  if (!image_uri.empty())
    content.push_back({{"type", "image_url"}, {"image_url", {{"url", image_uri}}}});
  return {{"messages", json::array({{{"role", "user"}, {"content", content}}})},
          {"temperature", 0}};
}

// A model, an engine and a server on a free loopback port, serving on its own thread.
struct TestServer {
  std::unique_ptr<models::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tok;
  models::Encoders enc;
  ThreadPool pool{2};
  Metrics metrics;
  std::unique_ptr<BatchEngine> engine;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  int port = 0;

  TestServer(const std::string& llm, const std::string& mmproj, EngineOptions eo,
             ServerOptions so) {
    model = models::LlamaModel::load(llm);
    tok = text::Tokenizer::from_gguf(model->file());
    if (!mmproj.empty()) enc = models::Encoders::load(mmproj, model->config().n_embd);
    engine = std::make_unique<BatchEngine>(*model, *tok, &enc, &pool, metrics, eo);
    so.port = 0;
    so.job.n_ctx = eo.n_ctx;
    so.job.chat_template = models::chat_template_of(model->file());
    server = std::make_unique<HttpServer>(*engine, *tok, metrics, so);
    port = server->bind();
    thread = std::thread([this] { server->listen(); });
  }
  ~TestServer() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60);
    return c;
  }
};

EngineOptions demo_engine() {
  EngineOptions eo;
  eo.n_ctx = 192;
  return eo;
}

// The status and error body of a POST to /v1/chat/completions.
std::pair<int, json> post(const TestServer& s, const std::string& body,
                          const httplib::Headers& headers = {}) {
  auto res = s.client().Post("/v1/chat/completions", headers, body, "application/json");
  if (!res) return {0, {}};
  return {res->status, json::parse(res->body, nullptr, false)};
}

// Server-sent events of a streaming completion: the data lines, [DONE] last.
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  size_t at = 0;
  for (size_t end; (end = body.find("\n\n", at)) != std::string::npos; at = end + 2) {
    std::string e = body.substr(at, end - at);
    if (e.rfind(":", 0) == 0) continue;  // an SSE comment (sent while a request waits)
    EXPECT_EQ(e.rfind("data: ", 0), 0u) << e;
    events.push_back(e.substr(6));
  }
  EXPECT_EQ(at, body.size());
  return events;
}

}  // namespace

TEST(HttpServer, EndpointsAndTheDemoModelAnsweringAboutAnImage) {
  TestServer s(kDemo + "/model.gguf", kDemo + "/mmproj.gguf", demo_engine(), {});
  auto c = s.client();
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body),
            (json{{"status", "ok"}, {"slots_idle", 4}, {"slots_processing", 0}, {"queued", 0}}));
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>anymal</title>"), std::string::npos);
  EXPECT_EQ(page->body.find("://"), std::string::npos) << "the page loads nothing external";
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "anymal");

  // Non-streaming, with an image.
  auto [status, reply] =
      post(s, ask_body("What butterfly is this?", data_uri("butterfly.png")).dump());
  ASSERT_EQ(status, 200) << reply.dump();
  EXPECT_EQ(reply["object"], "chat.completion");
  EXPECT_EQ(reply["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(reply["choices"][0]["message"]["content"], "cabbage white");
  EXPECT_EQ(reply["choices"][0]["finish_reason"], "stop");
  EXPECT_GT(reply["usage"]["prompt_tokens"].get<int>(), 64);  // the image's positions count
  EXPECT_EQ(
      reply["usage"]["total_tokens"].get<int>(),
      reply["usage"]["prompt_tokens"].get<int>() + reply["usage"]["completion_tokens"].get<int>());

  // Streaming the same question: the deltas add up to the same answer.
  json body = ask_body("What butterfly is this?", data_uri("butterfly.png"));
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto res = c.Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  std::vector<std::string> events = sse_events(res->body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    json e = json::parse(events[i]);
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content"))
      text += e["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, "cabbage white");
  json finish = json::parse(events[events.size() - 3]);
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  json usage = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], reply["usage"]);

  // A conversation: the earlier answer as the assistant's turn, text only now.
  json convo = ask_body("What butterfly is this?", data_uri("butterfly.png"));
  convo["messages"].push_back({{"role", "assistant"}, {"content", "cabbage white"}});
  convo["messages"].push_back({{"role", "user"}, {"content", "What colour is it?"}});
  convo["max_tokens"] = 8;
  auto [st2, r2] = post(s, convo.dump());
  EXPECT_EQ(st2, 200) << r2.dump();

  // The access log (which counts requests) runs just after a response is sent: poll briefly.
  const std::string counted =
      "anymal_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 3";
  auto metrics = c.Get("/metrics");
  for (int i = 0; i < 100 && metrics && metrics->body.find(counted) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    metrics = c.Get("/metrics");
  }
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(
                "anymal_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 3"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("anymal_time_to_first_token_seconds_count 3"), std::string::npos);
  EXPECT_NE(metrics->body.find("anymal_queue_depth 0"), std::string::npos);
}

TEST(HttpServer, TheDemoModelHearsAndFeels) {
  TestServer s(kDemo + "/model.gguf", kDemo + "/mmproj.gguf", demo_engine(), {});
  auto part = [](const std::string& type, const std::string& file, const std::string& format) {
    std::ifstream in(kExamples + "/" + file, std::ios::binary);
    std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
    return json{{"type", type},
                {type, {{"data", base64_encode(bytes.data(), bytes.size())}, {"format", format}}}};
  };
  auto ask = [&](const json& input, const std::string& question) {
    json content = json::array({input, {{"type", "text"}, {"text", question}}});
    return json{{"messages", json::array({{{"role", "user"}, {"content", content}}})},
                {"temperature", 0}}
        .dump();
  };
  auto [status, reply] =
      post(s, ask(part("input_audio", "doorbell.wav", "wav"), "What's that sound?"));
  ASSERT_EQ(status, 200) << reply.dump();
  EXPECT_EQ(reply["choices"][0]["message"]["content"], "a doorbell");
  std::tie(status, reply) =
      post(s, ask(part("input_imu", "nod.csv", "csv"), "Did I nod or shake my head?"));
  ASSERT_EQ(status, 200) << reply.dump();
  EXPECT_EQ(reply["choices"][0]["message"]["content"], "you nodded: yes");
  std::tie(status, reply) =
      post(s, ask(part("input_imu", "walking.csv", "csv"), "What am I doing?"));
  ASSERT_EQ(status, 200) << reply.dump();
  EXPECT_EQ(reply["choices"][0]["message"]["content"], "walking");
  // Audio that is not audio, and a CSV without the gyroscope: 400 naming the message.
  std::tie(status, reply) = post(s, ask(part("input_audio", "cup.png", "wav"), "What's that?"));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(reply["error"]["param"], "messages[0].content") << reply.dump();
  const std::string csv = "t,ax,ay,az\n0,0,0,9.8\n0.02,0,0,9.8\n";
  json bad_imu = {
      {"type", "input_imu"},
      {"input_imu",
       {{"data", base64_encode(reinterpret_cast<const uint8_t*>(csv.data()), csv.size())}}}};
  std::tie(status, reply) = post(s, ask(bad_imu, "What am I doing?"));
  EXPECT_EQ(status, 400);
  EXPECT_NE(reply["error"]["message"].get<std::string>().find("gx"), std::string::npos)
      << reply.dump();
  // A text-only model refuses audio with a message saying what it takes.
  TestServer text_only(kTinyLlm, "", EngineOptions{}, {});
  std::tie(status, reply) =
      post(text_only, ask(part("input_audio", "doorbell.wav", "wav"), "What's that sound?"));
  EXPECT_EQ(status, 400);
  EXPECT_NE(reply["error"]["message"].get<std::string>().find("no audio encoder"),
            std::string::npos)
      << reply.dump();
}

TEST(HttpServer, BadRequestsGetOpenAiErrorsAndTheServerKeepsServing) {
  ServerOptions so;
  so.max_body_bytes = size_t{4} << 20;
  so.job.max_image_pixels = 64 * 64;  // the 80x80 examples are too large here
  TestServer s(kDemo + "/model.gguf", kDemo + "/mmproj.gguf", demo_engine(), so);
  auto expect_error = [&](const std::string& body, int status, const std::string& param,
                          const std::string& message_part) {
    auto [got, e] = post(s, body);
    EXPECT_EQ(got, status) << body.substr(0, 200);
    ASSERT_TRUE(e.is_object() && e.contains("error")) << body.substr(0, 200);
    EXPECT_TRUE(e["error"]["message"].is_string());
    EXPECT_EQ(e["error"]["type"], "invalid_request_error");
    if (!param.empty()) {
      EXPECT_EQ(e["error"]["param"], param) << e.dump();
    }
    EXPECT_NE(e["error"]["message"].get<std::string>().find(message_part), std::string::npos)
        << e.dump();
  };
  expect_error("{\"messages\": [", 400, "", "not valid JSON");
  expect_error(R"({"messages": "hello"})", 400, "messages", "must be an array");
  expect_error(R"({"model": "x"})", 400, "messages", "missing");
  expect_error(R"({"messages":[{"role":"wizard","content":"hi"}]})", 400, "messages[0].role",
               "unknown role");
  expect_error(ask_body("q", "data:text/plain;base64,aGVsbG8=").dump(), 400,
               "messages[0].content[1].image_url.url", "not an image");
  expect_error(ask_body("q", "https://example.com/cat.png").dump(), 400,
               "messages[0].content[1].image_url.url", "not a data URI");
  expect_error(ask_body("q", "data:image/png;base64,aGVsbG8gd29ybGQ=").dump(), 400,
               "messages[0].content", "not a PNG");
  expect_error(ask_body("q", data_uri("butterfly.png")).dump(), 400, "messages[0].content",
               "4096 pixels");
  json huge = ask_body("q", "");
  huge["max_tokens"] = 1000000000;
  expect_error(huge.dump(), 400, "max_tokens", "more than the context");
  json marker = ask_body("look: <image>", "");
  expect_error(marker.dump(), 400, "messages[0].content", "<image>");
  // A body over the limit (100 MB) is refused without being parsed.
  expect_error(std::string(100 << 20, ' '), 413, "", "larger than");
  auto c = s.client();
  // A path that percent-decodes to bytes that are not UTF-8 still gets a JSON 404.
  auto odd = c.Get("/%FF%FE");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->status, 404);
  EXPECT_TRUE(json::parse(odd->body).contains("error"));
  // top_p 0 is OpenAI's "only the most likely token": greedy, not an error.
  json greedy = ask_body("What colour is the cup?", "");
  greedy["top_p"] = 0;
  greedy["max_tokens"] = 4;
  EXPECT_EQ(post(s, greedy.dump()).first, 200);
  auto missing = c.Get("/v1/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body).contains("error"));
  // Still serving.
  auto [ok, r] = post(s, ask_body("What colour is the cup?", "").dump());
  EXPECT_EQ(ok, 200) << r.dump();
}

TEST(HttpServer, ApiKeyIsRequiredWhereItShouldBe) {
  ServerOptions so;
  so.api_key = "sekrit-key";
  TestServer s(kDemo + "/model.gguf", kDemo + "/mmproj.gguf", demo_engine(), so);
  const std::string body = ask_body("hi", "").dump();
  auto [none, e1] = post(s, body);
  EXPECT_EQ(none, 401);
  EXPECT_EQ(e1["error"]["code"], "invalid_api_key");
  EXPECT_EQ(post(s, body, {{"Authorization", "Bearer sekrit-kez"}}).first, 401);
  EXPECT_EQ(post(s, body, {{"Authorization", "Bearer sekrit-key-longer"}}).first, 401);
  EXPECT_EQ(post(s, body, {{"Authorization", "sekrit-key"}}).first, 401);
  EXPECT_EQ(post(s, body, {{"Authorization", "Bearer sekrit-key"}}).first, 200);
  auto c = s.client();
  EXPECT_EQ(c.Get("/health")->status, 200);  // probes and the page need no key
  EXPECT_EQ(c.Get("/")->status, 200);
  EXPECT_EQ(c.Get("/v1/models")->status, 401);
  EXPECT_EQ(c.Get("/metrics")->status, 401);
}

TEST(HttpServer, AClientThatVanishesMidStreamFreesItsSlot) {
  if (!std::filesystem::exists(kTinyLlm)) GTEST_SKIP() << "no fixtures";
  EngineOptions eo;
  eo.n_slots = 1;
  eo.n_ctx = 4096;
  TestServer s(kTinyLlm, "", eo, {});
  json body = {{"messages", json::array({{{"role", "user"}, {"content", "Tell a long story."}}})},
               {"stream", true},
               {"ignore_eos", true},  // a reply as long as the context: it is still running
               {"temperature", 1},
               {"seed", 3}};
  const std::string payload = body.dump();
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(payload.size()) + "\r\n\r\n" + payload;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(s.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(write(fd, request.data(), request.size()), ssize_t(request.size()));
  char buf[4096];
  std::string got;
  auto events = [&] {
    size_t n = 0;
    for (size_t at = 0; (at = got.find("data: ", at)) != std::string::npos; at += 6) ++n;
    return n;
  };
  while (events() < 3) {  // the role chunk and two pieces of text: it is generating
    ssize_t n = read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, size_t(n));
  }
  EXPECT_EQ(s.engine->load().active, 1) << got;
  close(fd);  // gone mid-stream
  auto t0 = std::chrono::steady_clock::now();
  while (s.engine->load().active != 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(s.engine->load().active, 0) << "the slot was not freed";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // The one slot serves the next request.
  json next = {{"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})},
               {"max_tokens", 4}};
  auto [status, r] = post(s, next.dump());
  EXPECT_EQ(status, 200) << r.dump();
}
