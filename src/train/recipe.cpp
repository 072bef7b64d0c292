#include "train/recipe.h"

#include <filesystem>
#include <set>

#include "core/error.h"
#include "models/hf/hf_model.h"
#include "text/hf_tokenizer.h"
#include "train/init_weights.h"

namespace anymal::train {

namespace {

class Reader {
 public:
  Reader(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) fail("must be an object");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorKind::invalid_input, where_ + ": " + what);
  }
  void only(const std::set<std::string>& known) const {
    for (const auto& [k, v] : j_.items())
      if (!known.count(k)) {
        std::string list;
        for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
        fail("unknown key \"" + k + "\" (known: " + list + ")");
      }
  }
  bool has(const char* k) const { return j_.contains(k); }
  const nlohmann::json& at(const char* k) const {
    if (!j_.contains(k)) fail(std::string("missing key \"") + k + "\"");
    return j_[k];
  }
  void get(const char* k, int64_t& out, int64_t lo = 1) const {
    if (!has(k)) return;
    if (!j_[k].is_number_integer() || j_[k].get<int64_t>() < lo)
      fail(std::string(k) + " must be an integer >= " + std::to_string(lo));
    out = j_[k].get<int64_t>();
  }
  void get(const char* k, float& out, bool allow_zero = false) const {
    if (!has(k)) return;
    const bool ok =
        j_[k].is_number() && (j_[k].get<double>() > 0 || (allow_zero && j_[k].get<double>() == 0));
    if (!ok)
      fail(std::string(k) + (allow_zero ? " must be a number >= 0" : " must be a positive number"));
    out = j_[k].get<float>();
  }
  void get(const char* k, std::string& out) const {
    if (!has(k)) return;
    if (!j_[k].is_string()) fail(std::string(k) + " must be a string");
    out = j_[k].get<std::string>();
  }
  void get(const char* k, std::vector<std::string>& out,
           const std::set<std::string>& allowed) const {
    if (!has(k)) return;
    if (!j_[k].is_array()) fail(std::string(k) + " must be a list of strings");
    for (const auto& v : j_[k]) {
      if (!v.is_string()) fail(std::string(k) + " must be a list of strings");
      const std::string s = v.get<std::string>();
      if (!allowed.empty() && !allowed.count(s))
        fail(std::string(k) + ": unknown value \"" + s + "\"");
      out.push_back(s);
    }
  }
  // One path or a non-empty list of them.
  void get_paths(const char* k, std::vector<std::string>& out) const {
    if (!has(k)) return;
    if (j_[k].is_string()) {
      out.push_back(j_[k].get<std::string>());
      return;
    }
    get(k, out, {});
    if (out.empty()) fail(std::string(k) + " must be a file or a non-empty list of files");
  }
  const std::string& where() const { return where_; }

 private:
  const nlohmann::json& j_;
  std::string where_;
};

bool has_value(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

RecipeConfig RecipeConfig::from_json(const nlohmann::json& j, const std::string& path) {
  RecipeConfig c;
  c.path = path;
  Reader r(j, path);
  r.only({"seed", "data", "tokenizer", "model", "checkpoint", "stages", "log_every", "init"});
  int64_t seed = 1;
  r.get("seed", seed, 0);
  c.seed = uint64_t(seed);
  r.get("log_every", c.log_every);
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  Reader d(r.at("data"), path + ": data");
  d.only({"train", "val", "limit"});
  d.get("limit", c.train_limit);
  d.get_paths("train", c.train_data);
  d.get_paths("val", c.val_data);
  if (c.train_data.empty()) d.fail("missing key \"train\"");
  for (auto* list : {&c.train_data, &c.val_data})
    for (std::string& f : *list) f = (base / f).string();
  if (r.has("tokenizer")) {
    Reader t(r.at("tokenizer"), path + ": tokenizer");
    t.only({"vocab_size"});
    t.get("vocab_size", c.vocab_size, 259);
  }
  nlohmann::json model = r.at("model");
  if (r.has("init")) {
    Reader in(r.at("init"), path + ": init");
    in.only({"lm", "vision"});
    in.get("lm", c.init_lm);
    in.get("vision", c.init_vision);
    if (!model.is_object()) r.fail("model must be an object");
    if (!c.init_lm.empty()) {
      c.init_lm = (base / c.init_lm).string();
      if (model.contains("lm") || r.has("tokenizer"))
        r.fail(
            "init.lm sets the language model and its tokenizer: leave model.lm and "
            "tokenizer out");
      model["lm"] = lm_config_json(*models::open_model_file(c.init_lm));
      c.vocab_size = model["lm"]["vocab"];
    }
    if (!c.init_vision.empty()) {
      c.init_vision = (base / c.init_vision).string();
      if (model.contains("vit")) r.fail("init.vision sets the vision tower: leave model.vit out");
      auto f = models::open_model_file(c.init_vision);
      model["vit"] = vit_config_json(*f);
      model["mean"] = clip_mean(*f);
      model["std"] = clip_std(*f);
    }
  }
  if (model.is_object() && c.init_lm.empty()) {
    // The vocabulary comes from the tokenizer the run trains; a placeholder until then.
    if (!model.contains("lm") || !model["lm"].is_object())
      throw_error(ErrorKind::invalid_input, path + ": model: needs both \"lm\" and \"vit\"");
    if (model["lm"].contains("vocab"))
      throw_error(ErrorKind::invalid_input,
                  path + ": model.lm: vocab comes from tokenizer.vocab_size, do not set it");
    model["lm"]["vocab"] = c.vocab_size;
  }
  c.model = models::AnymalConfig::from_json(model, path + ": model");
  if (r.has("checkpoint")) {
    Reader k(r.at("checkpoint"), path + ": checkpoint");
    k.only({"every", "keep"});
    k.get("every", c.checkpoint_every);
    k.get("keep", c.keep_checkpoints);
  }
  const nlohmann::json& stages = r.at("stages");
  if (!stages.is_array() || stages.empty()) r.fail("stages must be a non-empty list");
  std::set<std::string> names;
  bool gates_trained = false;  // a stage before trains the cross-attention blocks
  for (size_t i = 0; i < stages.size(); ++i) {
    Reader s(stages[i], path + ": stages[" + std::to_string(i) + "]");
    s.only({"name", "kind", "modality", "tasks", "train", "steps", "batch", "warmup", "lr",
            "min_lr", "weight_decay", "clip_grad", "lora_rank", "lora_alpha", "accumulate"});
    StageConfig st;
    s.get("name", st.name);
    if (st.name.empty()) st.name = "stage" + std::to_string(i);
    if (!names.insert(st.name).second) s.fail("duplicate stage name \"" + st.name + "\"");
    s.get("kind", st.kind);
    if (st.kind != "text" && st.kind != "clip" && st.kind != "multimodal")
      s.fail("kind must be \"text\", \"clip\" or \"multimodal\"");
    std::string modality = "image";
    s.get("modality", modality);
    if (modality != "image" && modality != "audio" && modality != "imu")
      s.fail("modality must be \"image\", \"audio\" or \"imu\"");
    st.modality = modality == "audio" ? models::Modality::audio
                  : modality == "imu" ? models::Modality::imu
                                      : models::Modality::image;
    if (st.modality != models::Modality::image && st.kind != "clip")
      s.fail("modality is for clip stages (multimodal stages take every input)");
    if ((st.modality == models::Modality::audio && !c.model.audio.present()) ||
        (st.modality == models::Modality::imu && !c.model.imu.present()))
      s.fail("the model has no " + modality + " tower (model." + modality + ")");
    s.get("tasks", st.tasks, {});
    s.get("train", st.train,
          {"lm", "vit", "projector", "audio", "audio_projector", "imu", "imu_projector",
           "clip_head", "lora", "xattn"});
    for (const std::string& g : st.train)
      if ((g.rfind("audio", 0) == 0 && !c.model.audio.present()) ||
          (g.rfind("imu", 0) == 0 && !c.model.imu.present()))
        s.fail("train names " + g + " but the model has no such tower");
    if (st.train.empty()) s.fail("train must name what the stage updates");
    if (has_value(st.train, "xattn") && c.model.xattn_every == 0)
      s.fail("train names xattn but the model has no cross-attention (model.xattn_every)");
    // Until the gates have trained they are 0 and nothing below them gets a gradient.
    if (c.model.xattn_every > 0 && st.kind == "multimodal" && !has_value(st.train, "xattn") &&
        !gates_trained)
      for (const char* g : {"projector", "vit", "audio", "audio_projector", "imu", "imu_projector"})
        if (has_value(st.train, g))
          s.fail(std::string("train names ") + g +
                 " but not xattn: the cross-attention gates start at 0, so nothing reaches " + g +
                 " until a stage trains them (add \"xattn\")");
    gates_trained = gates_trained || has_value(st.train, "xattn");
    s.at("steps");
    s.get("steps", st.steps);
    s.get("batch", st.batch);
    s.get("warmup", st.warmup, 0);
    s.get("lr", st.lr);
    s.get("min_lr", st.min_lr, true);
    s.get("weight_decay", st.weight_decay, true);
    s.get("clip_grad", st.clip_grad);
    s.get("lora_rank", st.lora_rank);
    s.get("lora_alpha", st.lora_alpha);
    s.get("accumulate", st.accumulate);
    if (st.accumulate > 1 && st.kind == "clip")
      s.fail("accumulate: a contrastive stage compares every pair of its batch, it cannot split");
    if (st.batch % st.accumulate != 0) s.fail("batch must divide into accumulate micro-batches");
    const bool lora = std::find(st.train.begin(), st.train.end(), "lora") != st.train.end();
    if (lora && st.lora_rank == 0) s.fail("train includes lora but lora_rank is not set");
    c.stages.push_back(st);
  }
  return c;
}

RecipeConfig RecipeConfig::load(const std::string& path) {
  return from_json(text::read_json_file(path), path);
}

}  // namespace anymal::train
