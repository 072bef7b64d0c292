// End-to-end LLM inference benchmark: prefill 512 and decode 128 tokens/s at 1 and 2 threads
// on a TinyLlama-1.1B-shaped GGUF with random weights (dim 2048, 22 layers, 32 heads, 4 kv
// heads, ff 5632, vocab 32000) that it writes itself, in f16, bf16, q8_0 and q4_0, next to
// llama.cpp's figures measured on this machine (2 threads) and the memory roofline.
//   build/bin/llm_bench [--dir DIR] [--types f16,bf16,q8_0,q4_0] [--threads 1,2] [--prompt 512]
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "backend/cpu/quant.h"
#include "core/allocator.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "formats/gguf_writer.h"
#include "models/llm/llama_forward.h"

using namespace anymal;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kEmbd = 2048, kLayers = 22, kHeads = 32, kKvHeads = 4, kFf = 5632, kVocab = 32000;

void add_matrix(GgufWriter& w, Rng& rng, const std::string& name, GgmlType type, int64_t rows,
                int64_t cols) {
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (float& x : v) x = rng.normal(0.0f, 0.02f);
  std::vector<uint8_t> q(ggml_row_bytes(type, rows * cols));
  cpu::quantize_row(type, v.data(), q.data(), rows * cols);
  w.add_tensor(name, type, {cols, rows}, q.data(), q.size());
}

void write_model(const std::string& path, GgmlType type) {
  std::printf("writing %s ...\n", path.c_str());
  std::fflush(stdout);
  Rng rng(1);
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.embedding_length", kEmbd);
  w.set_u32("llama.block_count", kLayers);
  w.set_u32("llama.attention.head_count", kHeads);
  w.set_u32("llama.attention.head_count_kv", kKvHeads);
  w.set_u32("llama.feed_forward_length", kFf);
  w.set_u32("llama.context_length", 2048);
  w.set_u32("llama.vocab_size", kVocab);
  w.set_f32("llama.rope.freq_base", 10000.0f);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  std::vector<float> ones(kEmbd, 1.0f);
  add_matrix(w, rng, "token_embd.weight", type, kVocab, kEmbd);
  w.add_tensor("output_norm.weight", GgmlType::f32, {kEmbd}, ones.data(), ones.size() * 4);
  add_matrix(w, rng, "output.weight", type, kVocab, kEmbd);
  const int64_t hd = kEmbd / kHeads;
  for (int64_t i = 0; i < kLayers; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    w.add_tensor(p + "attn_norm.weight", GgmlType::f32, {kEmbd}, ones.data(), ones.size() * 4);
    w.add_tensor(p + "ffn_norm.weight", GgmlType::f32, {kEmbd}, ones.data(), ones.size() * 4);
    add_matrix(w, rng, p + "attn_q.weight", type, kEmbd, kEmbd);
    add_matrix(w, rng, p + "attn_k.weight", type, kKvHeads * hd, kEmbd);
    add_matrix(w, rng, p + "attn_v.weight", type, kKvHeads * hd, kEmbd);
    add_matrix(w, rng, p + "attn_output.weight", type, kEmbd, kEmbd);
    add_matrix(w, rng, p + "ffn_gate.weight", type, kFf, kEmbd);
    add_matrix(w, rng, p + "ffn_up.weight", type, kFf, kEmbd);
    add_matrix(w, rng, p + "ffn_down.weight", type, kEmbd, kFf);
  }
  w.write(path);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  anymal::tune_allocator();
  std::string dir = "/tmp/anymal-llm-bench", types = "f16,bf16,q8_0,q4_0", threads = "1,2";
  int n_prompt = 512;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--types") types = argv[i + 1];
    if (a == "--threads") threads = argv[i + 1];
    if (a == "--prompt") n_prompt = std::max(1, std::stoi(argv[i + 1]));
  }
  // llama.cpp on this machine, 2 threads (from the issue): decode and prefill tokens/s; the
  // decode roofline at 80 GB/s.
  std::map<std::string, std::array<double, 3>> peer{{"f16", {21.6, 171, 38.7}},
                                                    {"bf16", {30.9, 233, 38.7}},
                                                    {"q8_0", {38.0, 136, 73}},
                                                    {"q4_0", {66.9, 192, 133}}};
  fs::create_directories(dir);
  std::printf("%-6s %7s %12s %12s %10s %10s %10s %8s\n", "type", "threads", "prefill t/s",
              "decode t/s", "vs llama", "vs llama", "roofline", "RSS MB");
  std::printf("%-6s %7s %12s %12s %10s %10s %10s %8s\n", "", "", "(512)", "(128)", "prefill",
              "decode", "decode", "");
  for (const std::string& tname : split(types)) {
    GgmlType type = ggml_type_from_name(tname);
    std::string path = dir + "/tinyllama-" + tname + ".gguf";
    if (!fs::exists(path)) write_model(path, type);
    auto model = models::LlamaModel::load(path);
    const auto& cfg = model->config();
    Rng rng(3);
    std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
    for (int32_t& t : prompt) t = int32_t(rng.below(uint64_t(kVocab)));
    for (const std::string& th : split(threads)) {
      ThreadPool pool(std::stoi(th));
      ThreadPoolScope scope(&pool);
      models::LlamaWorkspace ws(cfg, 512);
      std::vector<float> logits(static_cast<size_t>(kVocab));
      double best_prefill = 0;
      for (int rep = 0; rep < 2; ++rep) {
        models::KvCache cache(cfg, 1024);
        auto t0 = std::chrono::steady_clock::now();
        models::llama_eval(*model, cache, ws, prompt.data(), n_prompt, false, logits.data());
        best_prefill = std::max(best_prefill, n_prompt / seconds_since(t0));
      }
      models::KvCache cache(cfg, 1024);
      int32_t tok = 1;
      models::llama_eval(*model, cache, ws, &tok, 1, false, logits.data());  // warm
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 128; ++i) {
        models::llama_eval(*model, cache, ws, &tok, 1, false, logits.data());
        tok = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      }
      double decode = 128 / seconds_since(t0);
      const auto& p = peer[tname];
      std::printf("%-6s %7s %12.1f %12.1f %9.2fx %9.2fx %9.0f%% %8ld\n", tname.c_str(), th.c_str(),
                  best_prefill, decode, best_prefill / p[1], decode / p[0], 100 * decode / p[2],
                  peak_rss_mb());
      std::fflush(stdout);
    }
  }
  std::printf(
      "llama.cpp figures: this machine, 2 threads (issue 3); ratios of 1-thread rows compare "
      "against those same 2-thread figures.\n");
  return 0;
}
