// anymal serve [-m LLM.gguf [--mmproj PROJ.gguf]] [--host H] [--port P] [--api-key K]
//              [--max-clients N] [--ctx N] ...: the OpenAI-compatible server with continuous
// batching and the web page at /. With no -m it serves the bundled demo model.
#include <csignal>
#include <cstdio>
#include <optional>

#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/thread_pool.h"
#include "models/anymal/chat_template.h"
#include "serve/batch_engine.h"
#include "serve/http_server.h"
#include "vlm.h"

namespace anymal::cli {

Runner add_serve_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("serve", "serve a model over HTTP (OpenAI API and a web page)");
  struct Args {
    std::string model, mmproj;
    serve::ServerOptions server;
    serve::EngineOptions engine;
    int64_t timeout_s = 300;
    size_t max_body_mb = 32;
    int stream_interval_ms = 10;
  };
  auto a = std::make_shared<Args>();
  a->engine.n_ctx = 0;
  cmd->add_option("-m,--model", a->model,
                  "language model .gguf or Hugging Face directory (default: the demo model)");
  cmd->add_option("--mmproj", a->mmproj, "vision projector .gguf (clip); without it, text only");
  cmd->add_option("--host", a->server.host, "address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", a->server.port, "port (default 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--api-key", a->server.api_key, "require 'Authorization: Bearer KEY'");
  cmd->add_option("--alias", a->server.model_name, "the model id clients see (default anymal)");
  cmd->add_option("--max-clients", a->engine.n_slots,
                  "requests decoded together in one batch (default 4)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--queue", a->engine.max_queue,
                  "requests that may wait for a slot; beyond it, 429 (default 64)");
  cmd->add_option("--ctx", a->engine.n_ctx,
                  "positions per request, prompt and reply (default: the model's, at most 2048)")
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 20));
  cmd->add_option("--prefill-chunk", a->engine.prefill_chunk,
                  "prompt positions read per step beside the running streams (default 128)")
      ->check(CLI::Range(int64_t{1}, int64_t{8192}));
  cmd->add_option("--timeout", a->timeout_s, "seconds a request may take, queue included (300)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-mb", a->max_body_mb, "largest request body in MiB (default 32)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--max-image-pixels", a->server.job.max_image_pixels,
                  "largest image accepted, in pixels (default 16777216)")
      ->check(CLI::Range(int64_t{1}, kMaxImagePixels));
  cmd->add_flag("--log-prompts", a->server.log_prompts, "log prompts (off: they are private)");
  cmd->add_option("--stream-interval", a->stream_interval_ms,
                  "ms between a stream's writes: tokens produced meanwhile go out together "
                  "(default 10; 0: every token)")
      ->check(CLI::Range(0, 1000));
  return [a, &global] {
    const std::string& demo_dir = global.demo_dir;
    // Load: the demo model, or -m with an optional projector.
    Vlm vlm;
    if (a->model.empty() || !a->mmproj.empty()) {
      vlm = load_vlm(a->model, a->mmproj, demo_dir);
    } else {
      vlm.model = models::LlamaModel::load(a->model);
      vlm.tok = text::Tokenizer::from_gguf(vlm.model->file());
    }
    const int64_t n_ctx_train = vlm.model->config().n_ctx_train;
    if (a->engine.n_ctx == 0) a->engine.n_ctx = std::min<int64_t>(2048, n_ctx_train);
    if (a->engine.n_ctx > n_ctx_train)
      log_warn("serve: --ctx %lld is beyond the %lld positions the model was trained on",
               (long long)a->engine.n_ctx, (long long)n_ctx_train);
    a->engine.timeout = std::chrono::seconds(a->timeout_s);
    a->server.max_body_bytes = a->max_body_mb << 20;
    a->server.stream_interval = std::chrono::milliseconds(a->stream_interval_ms);
    a->server.job.n_ctx = a->engine.n_ctx;
    a->server.job.chat_template = models::chat_template_of(vlm.model->file());

    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is a failed write, not our exit
    serve::Metrics metrics;
    // The HTTP threads (one per connection) parse requests and write the streams. With every
    // core decoding, the one they preempt holds up each parallel region of a step until it runs
    // again. Unless --threads says otherwise, decoding leaves them a core: on the 2-core VM with
    // the load client beside it, one stream 4.9-5.0k -> 5.9k tokens/s, eight 9.6-10.3k
    // -> 13.4-14.1k.
    std::optional<ThreadPool> decode_pool;
    ThreadPool* pool = current_thread_pool();
    if (global.threads == 0 && physical_core_count() > 1) {
      decode_pool.emplace(physical_core_count() - 1);
      pool = &*decode_pool;
    }
    serve::BatchEngine engine(*vlm.model, *vlm.tok, &vlm.enc, pool, metrics, a->engine);
    std::string inputs = "text";
    for (models::Modality m :
         {models::Modality::image, models::Modality::audio, models::Modality::imu})
      if (vlm.enc.has(m)) inputs += std::string(", ") + models::modality_name(m);
    serve::HttpServer server(engine, *vlm.tok, metrics, a->server);
    int port = server.bind();
    std::fprintf(stderr,
                 "anymal serve: http://%s:%d/ (%s; %d slots x %lld positions, %d decode threads, "
                 "chat template %s%s)\n",
                 a->server.host.c_str(), port, inputs.c_str(), a->engine.n_slots,
                 (long long)a->engine.n_ctx, pool ? pool->size() : 1,
                 models::chat_template_name(a->server.job.chat_template),
                 a->server.api_key.empty() ? "" : ", API key required");
    std::fflush(stderr);
    server.listen();
    return 0;
  };
}

}  // namespace anymal::cli
