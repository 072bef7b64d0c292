// Vision encoder benchmark: encode time of a ViT-B/14-shaped random mmproj (768 wide, 12
// executed blocks, 3072 ff, 12 heads, mlp projector to 2048) at 224² and 336², 1 and 2 threads,
// F16 and F32 weights; images/s for a batch of 8; and, when llm_bench's TinyLlama Q4_0 file
// exists, time to first token of an `ask` (encode + prefill of the LLaVA prompt). Medians of 3,
// beside llama.cpp's figures on this machine (issue 4).
//   build/bin/vit_bench [--dir DIR] [--threads 1,2] [--vocab VOCAB.gguf] [--ttft-only]
//   (run from the repo root; ./anymal runs the binary with glibc.malloc.hugetlb=1: set
//   GLIBC_TUNABLES=glibc.malloc.hugetlb=1 here too for its first-ask figure)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "backend/cpu/quant.h"
#include "core/allocator.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "formats/gguf_writer.h"
#include "infer/session.h"
#include "models/anymal/vision.h"

using namespace anymal;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kEmbd = 768, kHeads = 12, kFf = 3072, kBlocks = 13, kPatch = 14, kLlm = 2048;

void add(GgufWriter& w, Rng& rng, const std::string& name, GgmlType type, std::vector<int64_t> ne,
         float sigma = 0.02f) {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.normal(0.0f, sigma);
  if (ne.size() == 1) type = GgmlType::f32;  // norms and biases stay f32, as the converter does
  std::vector<uint8_t> q(ggml_row_bytes(type, n));
  cpu::quantize_row(type, v.data(), q.data(), n);
  w.add_tensor(name, type, ne, q.data(), q.size());
}

void write_mmproj(const std::string& path, int64_t size, GgmlType type) {
  Rng rng(2);
  GgufWriter w;
  w.set_string("general.architecture", "clip");
  w.set_bool("clip.has_vision_encoder", true);
  w.set_string("clip.projector_type", "mlp");
  w.set_bool("clip.use_gelu", false);
  w.set_u32("clip.vision.image_size", uint32_t(size));
  w.set_u32("clip.vision.patch_size", kPatch);
  w.set_u32("clip.vision.embedding_length", kEmbd);
  w.set_u32("clip.vision.feed_forward_length", kFf);
  w.set_u32("clip.vision.attention.head_count", kHeads);
  w.set_u32("clip.vision.block_count", kBlocks);
  w.set_f32("clip.vision.attention.layer_norm_epsilon", 1e-5f);
  w.set_f32s("clip.vision.image_mean", {0.48f, 0.46f, 0.41f});
  w.set_f32s("clip.vision.image_std", {0.27f, 0.26f, 0.28f});
  const int64_t n_pos = (size / kPatch) * (size / kPatch) + 1;
  add(w, rng, "v.class_embd", GgmlType::f32, {kEmbd});
  add(w, rng, "v.patch_embd.weight", type, {kPatch, kPatch, 3, kEmbd});
  add(w, rng, "v.position_embd.weight", type, {kEmbd, n_pos});
  add(w, rng, "v.pre_ln.weight", type, {kEmbd}, 1.0f);
  add(w, rng, "v.pre_ln.bias", type, {kEmbd});
  for (int64_t i = 0; i < kBlocks; ++i) {
    const std::string p = "v.blk." + std::to_string(i) + ".";
    for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_out"}) {
      add(w, rng, p + n + ".weight", type, {kEmbd, kEmbd});
      add(w, rng, p + n + ".bias", type, {kEmbd});
    }
    for (const char* n : {"ln1", "ln2"}) {
      add(w, rng, p + n + ".weight", type, {kEmbd}, 1.0f);
      add(w, rng, p + n + ".bias", type, {kEmbd});
    }
    add(w, rng, p + "ffn_up.weight", type, {kEmbd, kFf});
    add(w, rng, p + "ffn_up.bias", type, {kFf});
    add(w, rng, p + "ffn_down.weight", type, {kFf, kEmbd});
    add(w, rng, p + "ffn_down.bias", type, {kEmbd});
  }
  add(w, rng, "mm.0.weight", type, {kEmbd, kLlm});
  add(w, rng, "mm.0.bias", type, {kLlm});
  add(w, rng, "mm.2.weight", type, {kLlm, kLlm});
  add(w, rng, "mm.2.bias", type, {kLlm});
  w.write(path);
}

template <class F>
double median_seconds(F f, int reps = 3) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

Image random_image(Rng& rng, int w, int h) {
  Image img{w, h, std::vector<uint8_t>(size_t(w * h * 3))};
  for (uint8_t& b : img.rgb) b = uint8_t(rng.below(256));
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  anymal::tune_allocator();
  std::string dir = "/tmp/anymal-llm-bench", threads = "1,2",
              vocab = "../shared/fixtures/tokenizer/ggml-vocab-llama-spm.gguf";
  bool ttft_only = false;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--ttft-only") ttft_only = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--dir") dir = argv[i + 1];
    if (std::string(argv[i]) == "--threads") threads = argv[i + 1];
    if (std::string(argv[i]) == "--vocab") vocab = argv[i + 1];
  }
  fs::create_directories(dir);
  std::vector<int> thread_counts;
  std::stringstream ss(threads);
  for (std::string t; std::getline(ss, t, ',');) thread_counts.push_back(std::stoi(t));
  Rng rng(1);
  std::printf("%-5s %5s %7s %12s %14s %14s\n", "type", "size", "threads", "encode ms",
              "vs llama.cpp", "batch-8 img/s");
  for (const char* tname : {"f16", "f32"})
    for (int64_t size : {224, 336}) {
      const std::string path = dir + "/vit-b14-" + std::to_string(size) + "-" + tname + ".gguf";
      if (!fs::exists(path)) write_mmproj(path, size, ggml_type_from_name(tname));
      if (ttft_only) continue;  // a cold process for the time to first token
      auto vision = models::VisionModel::load(path);
      Image img = random_image(rng, 640, 480);
      std::vector<Image> batch(8, img);
      const double peer = size == 224 ? 0.212 : 0.638;  // llama.cpp, 2 threads, F16
      for (int th : thread_counts) {
        ThreadPool pool(th);
        ThreadPoolScope scope(&pool);
        vision->embed({img});  // warm
        double one = median_seconds([&] { vision->embed({img}); });
        double eight = median_seconds([&] { vision->embed(batch); }, 1);
        std::printf("%-5s %5lld %7d %12.1f %13.2fx %14.2f\n", tname, (long long)size, th, one * 1e3,
                    peer / one, 8 / eight);
        std::fflush(stdout);
      }
    }
  const std::string llm = dir + "/tinyllama-q4_0.gguf";
  if (!fs::exists(llm) || !fs::exists(vocab)) {
    std::printf("(no %s or %s: run llm_bench first for the time-to-first-token row)\n", llm.c_str(),
                vocab.c_str());
    return 0;
  }
  auto model = models::LlamaModel::load(llm);
  auto vision = models::VisionModel::load(dir + "/vit-b14-336-f16.gguf", model->config().n_embd);
  // The bench model has no vocabulary; a session wants one (only to decode replies): the
  // llama SPM fixture's has the same 32000 entries.
  auto tok = text::Tokenizer::from_gguf(*GgufFile::open(vocab));
  Image img = random_image(rng, 640, 480);
  ThreadPool pool(2);
  ThreadPoolScope scope(&pool);
  // The LLaVA prompt around 576 image positions, ~98 text tokens (674 in all, as llama.cpp's).
  std::vector<int32_t> before(5, 1), after(93, 2);
  // The first ask of a process is cold (its workspace and KV cache are faulted in): that is
  // `anymal ask`'s time to first token; the median of three is a server's or a chat's.
  std::vector<double> encs, pres;
  double ttft = median_seconds(
      [&] {
        auto t0 = std::chrono::steady_clock::now();
        Tensor e = vision->embed({img});
        auto t1 = std::chrono::steady_clock::now();
        // As `anymal ask` does: text, image and text appended, then one prefill.
        infer::Session session(*model, *tok, 1024, 1024);
        session.eval_tokens(before);
        session.eval_embeddings(e.data<float>(), e.dim(1));
        session.eval_tokens(after);
        session.flush();
        auto t2 = std::chrono::steady_clock::now();
        encs.push_back(std::chrono::duration<double>(t1 - t0).count());
        pres.push_back(std::chrono::duration<double>(t2 - t1).count());
      },
      3);
  std::printf(
      "time to first token, 1.1B Q4_0 + ViT-B/14 336 F16, 2 threads, 674 positions: first "
      "%.2f s (encode %.2f s + prefill %.2f s), median of 3 %.2f s; llama.cpp ~4.3 s "
      "(0.64 + 3.7)\n",
      encs[0] + pres[0], encs[0], pres[0], ttft);
  return 0;
}
