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
                     const nlohmann::json& state) {
  GgufWriter w;
  w.set_string("general.architecture", "anymal-checkpoint");
  w.set_string(kStateKey, state.dump());
  for (const auto& [name, t] : model.named_parameters()) w.add_tensor(name, t);
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
  for (const auto& [name, t] : model.named_parameters()) copy_into(*f, name, t);
  if (opt) {
    const auto names = names_by_address(model);
    for (size_t i = 0; i < opt->params().size(); ++i) {
      const std::string& name = names.at(opt->params()[i].raw());
      copy_into(*f, "opt.m." + name, opt->first_moments()[i]);
      copy_into(*f, "opt.v." + name, opt->second_moments()[i]);
    }
    opt->set_steps(f->get_int("anymal.optimizer.steps"));
  }
  return read_checkpoint_state(path);
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
    if (n.rfind("ckpt-", 0) == 0 && n.size() > 5 && n.substr(n.size() - 5) == ".gguf")
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());  // zero-padded stage and step: lexical = chronological
  return out;
}

void prune_checkpoints(const std::string& dir, int keep) {
  std::vector<std::string> all = list_checkpoints(dir);
  for (size_t i = 0; i + size_t(std::max(keep, 1)) < all.size(); ++i) fs::remove(all[i]);
}

}  // namespace anymal::train
