#include "train/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace anymal::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateKey = "anymal.checkpoint";

// Parameter name by storage address, for naming the optimizer's tensors.
std::map<const void*, std::string> names_by_address(const nn::Module& model) {
  std::map<const void*, std::string> out;
  for (const auto& [name, t] : model.named_parameters()) out[t.raw()] = name;
  return out;
}

void copy_into(const GgufFile& f, const std::string& name, const Tensor& dst) {
  const GgufTensorInfo* info = f.find_tensor(name);
  if (!info) throw_error(ErrorKind::invalid_input, f.path() + ": checkpoint has no tensor " + name);
  Tensor src = f.dequantize(name);
  if (src.shape() != dst.shape())
    throw_error(ErrorKind::invalid_input, f.path() + ": tensor " + name + " has shape " +
                                              src.shape().str() + ", the model wants " +
                                              dst.shape().str());
  std::memcpy(dst.mutable_data<float>(), src.data<float>(), size_t(dst.numel()) * sizeof(float));
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const AdamW* opt,
                     const nlohmann::json& state, const std::set<std::string>& skip) {
  GgufWriter w;
  w.set_string("general.architecture", "anymal-checkpoint");
  w.set_string(kStateKey, state.dump());
  for (const auto& [name, t] : model.named_parameters())
    if (!skip.count(name)) w.add_tensor(name, t);
  if (opt) {
    const auto names = names_by_address(model);
    w.set_u64("anymal.optimizer.steps", uint64_t(opt->steps()));
    for (size_t i = 0; i < opt->params().size(); ++i) {
      auto it = names.find(opt->params()[i].raw());
      if (it == names.end())
        throw_error(ErrorKind::internal, "optimizer parameter not in the model");
      w.add_tensor("opt.m." + it->second, opt->first_moments()[i]);
      w.add_tensor("opt.v." + it->second, opt->second_moments()[i]);
    }
  }
  w.write(path);
}

nlohmann::json read_checkpoint_state(const std::string& path) {
  auto f = GgufFile::open(path);
  try {
    return nlohmann::json::parse(f->get_string(kStateKey));
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorKind::invalid_input, path + ": checkpoint state is not valid JSON");
  }
}

nlohmann::json load_checkpoint(const std::string& path, nn::Module& model, AdamW* opt) {
  auto f = GgufFile::open(path);
  if (f->get_string("general.architecture", "") != "anymal-checkpoint")
    throw_error(ErrorKind::invalid_input, path + " is not an anymal training checkpoint");
  const nlohmann::json state = read_checkpoint_state(path);
  const bool sharded = state.contains("shards");
  if (sharded) check_shards(path);
  // Each tensor from the manifest when it holds it; the rest (sharded) from the shards, in one
  // read per kind (a read opens the manifest and the shard files).
  std::map<std::string, std::vector<std::pair<std::string, Tensor>>> from_shards;
  auto load = [&](const std::string& what, const std::string& name, const Tensor& dst) {
    const std::string stored = what == "param" ? name : "opt." + what + "." + name;
    if (!sharded || f->find_tensor(stored)) return copy_into(*f, stored, dst);
    from_shards[what].emplace_back(name, dst);
  };
  for (const auto& [name, t] : model.named_parameters()) load("param", name, t);
  if (opt) {
    const auto names = names_by_address(model);
    for (size_t i = 0; i < opt->params().size(); ++i) {
      const std::string& name = names.at(opt->params()[i].raw());
      load("m", name, opt->first_moments()[i]);
      load("v", name, opt->second_moments()[i]);
    }
    opt->set_steps(sharded ? state.at("optimizer_steps").get<int64_t>()
                           : f->get_int("anymal.optimizer.steps"));
  }
  for (const auto& [what, tensors] : from_shards) {
    std::vector<std::string> names;
    std::vector<int64_t> sizes;
    int64_t total = 0;
    for (const auto& [name, t] : tensors) {
      names.push_back(name);
      sizes.push_back(t.numel());
      total += t.numel();
    }
    const std::vector<float> v = read_flat(path, what, names, sizes, 0, total);
    int64_t at = 0;
    for (const auto& [name, t] : tensors) {
      std::memcpy(t.mutable_data<float>(), v.data() + at, size_t(t.numel()) * sizeof(float));
      at += t.numel();
    }
  }
  return state;
}

std::string shard_path(const std::string& manifest, int rank, int world) {
  const std::string stem = manifest.substr(0, manifest.size() - 5);  // without .gguf
  return stem + ".shard-" + std::to_string(rank) + "-of-" + std::to_string(world) + ".gguf";
}

void save_shard(const std::string& manifest, int rank, int world, const ShardRanges& ranges,
                const std::vector<ShardArray>& arrays) {
  GgufWriter w;
  w.set_string("general.architecture", "anymal-checkpoint-shard");
  w.set_u64("anymal.shard.rank", uint64_t(rank));
  w.set_u64("anymal.shard.world", uint64_t(world));
  w.set_u64("anymal.shard.begin", uint64_t(ranges.begin));
  w.set_u64("anymal.shard.end", uint64_t(ranges.end));
  w.set_u64("anymal.shard.frozen_begin", uint64_t(ranges.frozen_begin));
  w.set_u64("anymal.shard.frozen_end", uint64_t(ranges.frozen_end));
  for (const ShardArray& a : arrays)
    w.add_tensor("shard." + a.what, GgmlType::f32, {std::max<int64_t>(1, a.count)}, a.data,
                 size_t(a.count) * sizeof(float));
  w.write(shard_path(manifest, rank, world));
}

nlohmann::json shard_manifest(const std::string& manifest, const std::string& level,
                              const FlatList& trainable, const FlatList& frozen) {
  nlohmann::json files = nlohmann::json::array();
  int64_t at = 0, frozen_at = 0;
  for (size_t r = 0; r < trainable.counts.size(); ++r) {
    const int world = int(trainable.counts.size());
    const int64_t fc = frozen.counts.empty() ? 0 : frozen.counts[r];
    files.push_back({{"file", fs::path(shard_path(manifest, int(r), world)).filename().string()},
                     {"begin", at},
                     {"end", at + trainable.counts[r]},
                     {"frozen_begin", frozen_at},
                     {"frozen_end", frozen_at + fc}});
    at += trainable.counts[r];
    frozen_at += fc;
  }
  auto list = [](const FlatList& l) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < l.names.size(); ++i) out.push_back({l.names[i], l.sizes[i]});
    return out;
  };
  return {{"level", level},
          {"files", files},
          {"params", list(trainable)},
          {"frozen_params", list(frozen)}};
}

namespace {

// A shard file named by a manifest, opened and checked against it.
std::shared_ptr<GgufFile> open_shard(const std::string& checkpoint, const nlohmann::json& entry,
                                     size_t rank, size_t world) {
  const std::string path =
      (fs::path(checkpoint).parent_path() / entry.at("file").get<std::string>()).string();
  const std::string which = "shard " + std::to_string(rank) + " of " + std::to_string(world);
  if (!fs::exists(path))
    throw_error(ErrorKind::invalid_input,
                checkpoint + " names " + which + ", " + path +
                    ", which is missing: the checkpoint is incomplete (restore the file, or "
                    "remove this checkpoint to resume from the one before)");
  auto f = GgufFile::open(path);
  if (f->get_string("general.architecture", "") != "anymal-checkpoint-shard" ||
      f->get_int("anymal.shard.begin", -1) != entry.at("begin").get<int64_t>() ||
      f->get_int("anymal.shard.end", -1) != entry.at("end").get<int64_t>() ||
      f->get_int("anymal.shard.frozen_begin", 0) != entry.value("frozen_begin", int64_t(0)) ||
      f->get_int("anymal.shard.frozen_end", 0) != entry.value("frozen_end", int64_t(0)))
    throw_error(ErrorKind::invalid_input,
                path + " is not " + which + " of " + checkpoint + " (another run's shard?)");
  return f;
}

}  // namespace

void check_shards(const std::string& checkpoint) {
  const nlohmann::json state = read_checkpoint_state(checkpoint);
  if (!state.contains("shards")) return;
  const auto& files = state["shards"].at("files");
  for (size_t r = 0; r < files.size(); ++r) open_shard(checkpoint, files[r], r, files.size());
}

std::vector<float> read_flat(const std::string& checkpoint, const std::string& what,
                             const std::vector<std::string>& names,
                             const std::vector<int64_t>& sizes, int64_t begin, int64_t end) {
  auto f = GgufFile::open(checkpoint);
  const nlohmann::json state = read_checkpoint_state(checkpoint);
  const nlohmann::json* shards = state.contains("shards") ? &state["shards"] : nullptr;
  // Where each stored parameter sits: its flat vector (the trainable weights and moments, or
  // ZeRO-3's frozen block weights), its offset there and its size.
  struct Stored {
    std::string tensor, begin_key, end_key;
    int64_t offset = 0, size = 0;
  };
  std::map<std::string, Stored> stored;
  if (shards) {
    auto index = [&](const char* key, const std::string& tensor, const char* b, const char* e) {
      int64_t at = 0;
      for (const auto& p : shards->value(key, nlohmann::json::array())) {
        stored.emplace(p[0].get<std::string>(), Stored{tensor, b, e, at, p[1].get<int64_t>()});
        at += p[1].get<int64_t>();
      }
    };
    index("params", "shard." + what, "begin", "end");
    if (what == "param") index("frozen_params", "shard.frozen", "frozen_begin", "frozen_end");
  }
  std::vector<std::shared_ptr<GgufFile>> opened;
  std::vector<float> out(size_t(end - begin));
  int64_t at = 0;
  for (size_t i = 0; i < names.size(); at += sizes[i], ++i) {
    const int64_t lo = std::max(begin, at), hi = std::min(end, at + sizes[i]);
    if (lo >= hi) continue;
    float* dst = out.data() + (lo - begin);
    const std::string whole = what == "param" ? names[i] : "opt." + what + "." + names[i];
    if (!shards || f->find_tensor(whole)) {
      const Tensor t = f->dequantize(whole);  // a checkpoint written whole
      if (t.numel() != sizes[i])
        throw_error(ErrorKind::invalid_input, checkpoint + ": " + whole + " has " +
                                                  std::to_string(t.numel()) + " elements, not " +
                                                  std::to_string(sizes[i]));
      std::copy(t.data<float>() + (lo - at), t.data<float>() + (hi - at), dst);
      continue;
    }
    auto it = stored.find(names[i]);
    if (it == stored.end() || it->second.size != sizes[i])
      throw_error(ErrorKind::invalid_input,
                  checkpoint + " was written while other parameters trained: its shards hold " +
                      (it == stored.end() ? "no " : "another size of ") + names[i]);
    // The same elements in the writer's flat vector, from the shards that hold them.
    const Stored& src = it->second;
    const int64_t src_lo = src.offset + (lo - at), src_hi = src_lo + (hi - lo);
    const auto& files = shards->at("files");
    opened.resize(files.size());
    for (size_t r = 0; r < files.size(); ++r) {
      const int64_t b = files[r].at(src.begin_key), e = files[r].at(src.end_key);
      const int64_t a = std::max(src_lo, b), z = std::min(src_hi, e);
      if (a >= z) continue;
      if (!opened[r]) opened[r] = open_shard(checkpoint, files[r], r, files.size());
      const Tensor t = opened[r]->tensor(src.tensor);
      std::copy(t.data<float>() + (a - b), t.data<float>() + (z - b), dst + (a - src_lo));
    }
  }
  return out;
}

std::string checkpoint_path(const std::string& dir, int64_t stage, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "ckpt-%03lld-%08lld.gguf", static_cast<long long>(stage),
                static_cast<long long>(step));
  return (fs::path(dir) / name).string();
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("ckpt-", 0) == 0 && n.size() > 5 && n.substr(n.size() - 5) == ".gguf" &&
        n.find(".shard-") == std::string::npos)
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());  // zero-padded stage and step: lexical = chronological
  return out;
}

void prune_checkpoints(const std::string& dir, int keep) {
  std::vector<std::string> all = list_checkpoints(dir);
  const size_t drop = all.size() - std::min(all.size(), size_t(std::max(keep, 1)));
  std::set<std::string> kept;  // stems of the manifests kept
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string stem = fs::path(all[i]).stem().string();
    if (i < drop)
      fs::remove(all[i]);
    else
      kept.insert(stem);
  }
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    const size_t at = n.find(".shard-");
    if (n.rfind("ckpt-", 0) == 0 && at != std::string::npos && !kept.count(n.substr(0, at)))
      stale.push_back(e.path());
  }
  for (const fs::path& p : stale) fs::remove(p);
}

}  // namespace anymal::train
