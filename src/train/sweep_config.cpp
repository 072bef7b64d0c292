#include "train/sweep_config.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/rng.h"
#include "text/hf_tokenizer.h"
#include "train/recipe.h"

namespace anymal::train {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kAxes = {"family", "lora_rank", "lr", "steps", "data_size"};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw_error(ErrorKind::invalid_input, where + ": " + what);
}

struct Family {
  std::string kind;  // mlp, resampler, xattn
  int64_t every = 0, depth = 0, tokens = 0;
};

// "mlp", "resampler(depth=2,tokens=16)", "xattn(every=2)", "xattn(every=1,depth=2,tokens=8)"
Family parse_family(const std::string& s, const std::string& where) {
  static const std::regex form(R"(^\s*(mlp|resampler|xattn)\s*(?:\((.*)\))?\s*$)");
  std::smatch m;
  if (!std::regex_match(s, m, form))
    fail(where, "family \"" + s +
                    "\" is not mlp, resampler(depth=D,tokens=N) or xattn(every=E[,depth=D,"
                    "tokens=N])");
  Family f;
  f.kind = m[1];
  const std::string args = m[2];
  static const std::regex arg(R"(\s*(\w+)\s*=\s*(\d{1,6})\s*(,|$))");
  size_t consumed = 0;
  for (auto it = std::sregex_iterator(args.begin(), args.end(), arg); it != std::sregex_iterator();
       ++it) {
    if (size_t(it->position()) != consumed) break;
    consumed += size_t(it->length());
    const std::string key = (*it)[1];
    const int64_t value = std::stoll((*it)[2]);
    if (value <= 0 || value > 4096) fail(where, "family \"" + s + "\": " + key + " out of range");
    if (key == "every" && f.kind == "xattn")
      f.every = value;
    else if (key == "depth" && f.kind != "mlp")
      f.depth = value;
    else if (key == "tokens" && f.kind != "mlp")
      f.tokens = value;
    else
      fail(where, "family \"" + s + "\": " + f.kind + " takes no \"" + key + "\"");
  }
  if (consumed != args.size()) fail(where, "family \"" + s + "\": cannot read \"" + args + "\"");
  if (f.kind == "xattn" && f.every == 0) fail(where, "family \"" + s + "\" needs every=N");
  if (f.kind == "resampler" && (f.depth == 0 || f.tokens == 0))
    fail(where, "family \"" + s + "\" needs depth=D and tokens=N");
  if (f.kind == "xattn" && (f.depth > 0) != (f.tokens > 0))
    fail(where, "family \"" + s + "\": a resampler under cross-attention needs depth and tokens");
  return f;
}

std::string family_slug(const Family& f) {
  std::string s = f.kind;
  if (f.every) s += "-every" + std::to_string(f.every);
  if (f.depth) s += "-d" + std::to_string(f.depth) + "t" + std::to_string(f.tokens);
  return s;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string number_text(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v.get<double>());
  return buf;
}

// The values in words, then a hash of everything that decides the result: the values, the
// run's whole recipe and its evaluation.
std::string run_id(const nlohmann::json& params, const nlohmann::json& recipe,
                   const std::string& evaluation, const std::string& where) {
  std::string id;
  if (params.contains("family")) id = family_slug(parse_family(params["family"], where));
  for (const auto& [k, v] : params.items()) {
    if (k == "family") continue;
    const std::string tag = k == "lora_rank" ? "lora" : k == "data_size" ? "data" : k;
    id += (id.empty() ? "" : "_") + tag + number_text(v);
  }
  char hash[16];
  const uint64_t h = fnv1a(params.dump() + "\n" + recipe.dump() + "\n" + evaluation);
  std::snprintf(hash, sizeof hash, "%08x", unsigned(h & 0xffffffffu));
  return (id.empty() ? "base" : id) + "_" + hash;
}

nlohmann::json& last_multimodal(nlohmann::json& recipe, const std::string& where) {
  nlohmann::json* last = nullptr;
  for (auto& st : recipe["stages"])
    if (st.value("kind", "") == "multimodal") last = &st;
  if (!last) fail(where, "the recipe has no multimodal stage for lr/steps/lora_rank to act on");
  return *last;
}

bool has(const nlohmann::json& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Paths of the base recipe made absolute, so the run's copy can live anywhere.
void absolutize(nlohmann::json& recipe, const fs::path& base) {
  auto fix = [&](nlohmann::json& v) {
    if (v.is_string() && !fs::path(v.get<std::string>()).is_absolute())
      v = fs::weakly_canonical(base / v.get<std::string>()).string();
  };
  for (const char* section : {"data", "init"}) {
    if (!recipe.contains(section) || !recipe[section].is_object()) continue;
    for (auto& [k, v] : recipe[section].items()) {
      if (k == "limit") continue;
      if (v.is_array())
        for (auto& e : v) fix(e);
      else
        fix(v);
    }
  }
}

}  // namespace

nlohmann::json apply_params(nlohmann::json recipe, const nlohmann::json& params,
                            const std::string& where) {
  if (!recipe.is_object() || !recipe.contains("stages") || !recipe["stages"].is_array())
    fail(where, "the base recipe has no stages");
  for (const auto& st : recipe["stages"])
    if (!st.is_object() || (st.contains("train") && !st["train"].is_array()))
      fail(where, "the base recipe's stages must be objects with a \"train\" list");
  if (recipe.contains("model") && !recipe["model"].is_object())
    fail(where, "the base recipe's model must be an object");
  for (const auto& [k, v] : params.items()) {
    if (k == "family") {
      const Family f = parse_family(v.get<std::string>(), where);
      nlohmann::json& model = recipe["model"];
      for (const char* key : {"projector", "perceiver_layers", "perceiver_queries", "xattn_every"})
        model.erase(key);
      const bool resampler = f.depth > 0;
      model["projector"] = resampler ? "perceiver" : "mlp";
      if (resampler) {
        model["perceiver_layers"] = f.depth;
        model["perceiver_queries"] = f.tokens;
      }
      if (f.kind == "xattn") {
        model["xattn_every"] = f.every;
        for (auto& st : recipe["stages"])
          if (st.value("kind", "") == "multimodal" && st.contains("train") &&
              has(st["train"], "projector") && !has(st["train"], "xattn"))
            st["train"].push_back("xattn");
      }
    } else if (k == "lora_rank") {
      const int64_t r = v.get<int64_t>();
      bool any = false;
      for (auto& st : recipe["stages"]) {
        if (!st.contains("train") || !has(st["train"], "lora")) continue;
        any = true;
        if (r == 0) {
          auto& t = st["train"];
          t.erase(std::remove(t.begin(), t.end(), "lora"), t.end());
          st.erase("lora_rank");
          st.erase("lora_alpha");
        } else {
          st["lora_rank"] = r;
          st["lora_alpha"] = r;
        }
      }
      if (!any && r > 0) {
        nlohmann::json& st = last_multimodal(recipe, where);
        st["train"].push_back("lora");
        st["lora_rank"] = r;
        st["lora_alpha"] = r;
      }
    } else if (k == "lr") {
      nlohmann::json& st = last_multimodal(recipe, where);
      const double old = st.value("lr", 1e-3), lr = v.get<double>();
      st["lr"] = lr;
      if (st.contains("min_lr")) st["min_lr"] = st["min_lr"].get<double>() * lr / old;
    } else if (k == "steps") {
      nlohmann::json& st = last_multimodal(recipe, where);
      st["steps"] = v;
      if (st.value("warmup", 0) >= v.get<int64_t>()) st["warmup"] = v.get<int64_t>() / 10;
    } else if (k == "data_size") {
      recipe["data"]["limit"] = v;
    } else {
      fail(where, "unknown axis \"" + k + "\"");
    }
  }
  return recipe;
}

std::string RunSpec::family_kind() const {
  if (!params.contains("family")) return "base";
  const std::string f = params["family"];
  return f.substr(0, f.find('('));
}

SweepConfig SweepConfig::from_json(const nlohmann::json& j, const std::string& path) {
  try {
    return parse(j, path);
  } catch (const nlohmann::json::exception& e) {  // a value of the wrong JSON type somewhere
    fail(path, std::string("malformed sweep or recipe (") + e.what() + ")");
  }
}

SweepConfig SweepConfig::parse(const nlohmann::json& j, const std::string& path) {
  SweepConfig c;
  c.path = path;
  if (!j.is_object()) fail(path, "a sweep config must be an object");
  const std::set<std::string> known = {"name", "recipe", "axes", "search", "eval", "threads"};
  for (const auto& [k, v] : j.items())
    if (!known.count(k))
      fail(path, "unknown key \"" + k + "\" (known: axes, eval, name, recipe, search, threads)");
  const fs::path base = fs::path(path).parent_path();
  c.name = fs::path(path).stem().string();
  if (j.contains("name")) {
    static const std::regex safe(R"([A-Za-z0-9._-]{1,64})");
    if (!j["name"].is_string() || !std::regex_match(j["name"].get<std::string>(), safe) ||
        j["name"] == "." || j["name"] == "..")
      fail(path, "name must be 1-64 letters, digits, '.', '_' or '-' (it names a directory)");
    c.name = j["name"];
  }
  if (!j.contains("recipe") || !j["recipe"].is_string()) fail(path, "missing \"recipe\" (a file)");
  const std::string recipe_path = (base / j["recipe"].get<std::string>()).string();
  nlohmann::json recipe = text::read_json_file(recipe_path);
  absolutize(recipe, fs::path(recipe_path).parent_path());
  if (!j.contains("eval") || !j["eval"].is_object() || !j["eval"].contains("data") ||
      !j["eval"]["data"].is_string())
    fail(path, "missing \"eval\": {\"data\": TEST.jsonl}");
  for (const auto& [k, v] : j["eval"].items())
    if (k != "data" && k != "limit") fail(path + ": eval", "unknown key \"" + k + "\"");
  c.eval_data = fs::weakly_canonical(base / j["eval"]["data"].get<std::string>()).string();
  if (j["eval"].contains("limit")) {
    if (!j["eval"]["limit"].is_number_integer() || j["eval"]["limit"].get<int64_t>() < 0)
      fail(path, "eval.limit must be an integer >= 0");
    c.eval_limit = j["eval"]["limit"];
  }
  if (j.contains("threads")) {
    if (!j["threads"].is_number_integer() || j["threads"].get<int>() < 1)
      fail(path, "threads must be a positive integer");
    c.threads = j["threads"];
  }
  if (!j.contains("axes") || !j["axes"].is_object() || j["axes"].empty())
    fail(path, "missing \"axes\": the sweep has an empty search space");
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;
  for (const auto& [k, v] : j["axes"].items()) {
    const std::string where = path + ": axes." + k;
    if (!kAxes.count(k))
      fail(path, "unknown axis \"" + k + "\" (known: data_size, family, lora_rank, lr, steps)");
    if (!v.is_array() || v.empty()) fail(where, "must be a non-empty list: empty search space");
    std::vector<nlohmann::json> values;
    for (const auto& e : v) {
      if (k == "family") {
        if (!e.is_string()) fail(where, "families are strings, e.g. \"xattn(every=2)\"");
        parse_family(e, where);
      } else if (k == "lr") {
        if (!e.is_number() || !(e.get<double>() > 0)) fail(where, "values must be numbers > 0");
      } else {
        const int64_t lo = k == "lora_rank" ? 0 : 1;
        if (!e.is_number_integer() || e.get<int64_t>() < lo)
          fail(where, "values must be integers >= " + std::to_string(lo));
      }
      if (std::find(values.begin(), values.end(), e) != values.end())
        fail(where, "value " + e.dump() + " is listed twice");
      values.push_back(e);
    }
    axes.emplace_back(k, std::move(values));
  }
  // The grid, in a fixed order (axes as listed, last varying fastest).
  std::vector<nlohmann::json> grid = {nlohmann::json::object()};
  for (const auto& [k, values] : axes) {
    std::vector<nlohmann::json> next;
    for (const auto& g : grid)
      for (const auto& v : values) {
        nlohmann::json p = g;
        p[k] = v;
        next.push_back(p);
      }
    grid = std::move(next);
  }
  const nlohmann::json search = j.value("search", nlohmann::json("grid"));
  if (search.is_object()) {
    for (const auto& [k, v] : search.items())
      if (k != "random" && k != "seed") fail(path, "search: unknown key \"" + k + "\"");
    if (!search.contains("random") || !search["random"].is_number_integer() ||
        search["random"].get<int64_t>() < 1)
      fail(path, "search: {\"random\": K} needs K >= 1");
    const size_t k = size_t(search["random"].get<int64_t>());
    if (search.contains("seed") &&
        (!search["seed"].is_number_integer() || search["seed"].get<int64_t>() < 0))
      fail(path, "search: seed must be an integer >= 0");
    Rng rng(search.value("seed", uint64_t(1)));
    // K distinct grid points (all of them when K >= the grid): a partial Fisher-Yates shuffle.
    for (size_t i = 0; i < std::min(k, grid.size()); ++i)
      std::swap(grid[i], grid[i + size_t(rng.next_u64() % (grid.size() - i))]);
    grid.resize(std::min(k, grid.size()));
  } else if (search != "grid") {
    fail(path, "search must be \"grid\" or {\"random\": K, \"seed\": S}");
  }
  std::set<std::string> ids;
  for (const nlohmann::json& p : grid) {
    RunSpec r;
    r.params = p;
    r.recipe = apply_params(recipe, p, path + ": values " + p.dump());
    r.id = run_id(p, r.recipe, c.eval_data + " " + std::to_string(c.eval_limit), path);
    // Every run's recipe is checked now, not when its turn comes.
    train::RecipeConfig::from_json(r.recipe, path + ": run " + r.id);
    if (!ids.insert(r.id).second) fail(path, "two runs share the id " + r.id);
    c.runs.push_back(std::move(r));
  }
  return c;
}

SweepConfig SweepConfig::load(const std::string& path) {
  return from_json(text::read_json_file(path), path);
}

}  // namespace anymal::train
