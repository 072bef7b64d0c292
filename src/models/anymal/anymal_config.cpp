#include "models/anymal/anymal_config.h"

#include <set>

#include "core/error.h"
#include "formats/log_mel.h"

namespace anymal::models {

namespace {

// Reads json[key] into `out` when present, checking it is a positive integer.
void read_int(const nlohmann::json& j, const char* key, int64_t& out, const std::string& where) {
  if (!j.contains(key)) return;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0)
    throw_error(ErrorKind::invalid_input, where + ": " + key + " must be a positive integer");
  out = j[key].get<int64_t>();
}

void read_float(const nlohmann::json& j, const char* key, float& out, const std::string& where) {
  if (!j.contains(key)) return;
  if (!j[key].is_number() || !(j[key].get<double>() > 0))
    throw_error(ErrorKind::invalid_input, where + ": " + key + " must be a positive number");
  out = j[key].get<float>();
}

void reject_unknown(const nlohmann::json& j, const std::set<std::string>& known,
                    const std::string& where) {
  if (!j.is_object()) throw_error(ErrorKind::invalid_input, where + " must be an object");
  for (const auto& [k, v] : j.items())
    if (!known.count(k)) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      throw_error(ErrorKind::invalid_input,
                  where + ": unknown key \"" + k + "\" (known: " + list + ")");
    }
}

nlohmann::json signal_json(const SignalConfig& s, bool imu) {
  nlohmann::json j = {{"dim", s.dim}, {"n_layer", s.n_layer}, {"n_head", s.n_head},
                      {"ff", s.ff},   {"tokens", s.tokens},   {"seconds", s.seconds}};
  if (imu) {
    j["mean"] = s.mean;
    j["std"] = s.std;
  }
  if (s.projector != "mlp") {  // written only when used: mlp configs read as before
    j["projector"] = s.projector;
    j["perceiver_layers"] = s.perceiver_layers;
    j["perceiver_heads"] = s.perceiver_heads;
  }
  return j;
}

SignalConfig signal_from_json(const nlohmann::json& j, bool imu, const std::string& where) {
  SignalConfig s;
  std::set<std::string> known = {"dim",       "n_layer",          "n_head",
                                 "ff",        "tokens",           "seconds",
                                 "projector", "perceiver_layers", "perceiver_heads"};
  if (imu) known.insert({"mean", "std"});
  reject_unknown(j, known, where);
  for (const char* k : {"dim", "n_layer", "n_head", "ff", "seconds"})
    if (!j.contains(k)) throw_error(ErrorKind::invalid_input, where + ": missing " + k);
  read_int(j, "dim", s.dim, where);
  read_int(j, "n_layer", s.n_layer, where);
  read_int(j, "n_head", s.n_head, where);
  read_int(j, "ff", s.ff, where);
  read_int(j, "tokens", s.tokens, where);
  float seconds = 0;
  read_float(j, "seconds", seconds, where);
  s.seconds = seconds;
  if (j.contains("projector")) {
    if (!j["projector"].is_string() || (j["projector"] != "mlp" && j["projector"] != "perceiver"))
      throw_error(ErrorKind::invalid_input, where + ": projector must be \"mlp\" or \"perceiver\"");
    s.projector = j["projector"].get<std::string>();
  }
  read_int(j, "perceiver_layers", s.perceiver_layers, where);
  read_int(j, "perceiver_heads", s.perceiver_heads, where);
  if (s.dim % s.n_head || s.dim % 2)
    throw_error(ErrorKind::invalid_input, where + ": dim must be even and a multiple of n_head");
  const int64_t steps = imu ? imu_steps(s.seconds) : audio_frames(s.seconds);
  if ((steps + 1) / 2 < s.tokens)
    throw_error(ErrorKind::invalid_input, where + ": a " + std::to_string(s.seconds) +
                                              " s window gives " + std::to_string((steps + 1) / 2) +
                                              " encoder steps, fewer than the " +
                                              std::to_string(s.tokens) + " tokens");
  for (const char* k : {"mean", "std"}) {
    if (!j.contains(k)) continue;
    if (!j[k].is_array() || j[k].size() != 6)
      throw_error(ErrorKind::invalid_input, where + ": " + k + " must be 6 numbers");
    auto& dst = std::string(k) == "mean" ? s.mean : s.std;
    for (size_t i = 0; i < 6; ++i) {
      const bool ok = j[k][i].is_number() && (k[0] == 'm' || j[k][i].get<double>() > 0);
      if (!ok)
        throw_error(ErrorKind::invalid_input, where + ": " + k + " must be 6 numbers" +
                                                  (k[0] == 's' ? ", each positive" : ""));
      dst[i] = j[k][i].get<float>();
    }
  }
  return s;
}

}  // namespace

nn::SignalTowerConfig SignalConfig::tower(int64_t n_in, int64_t steps) const {
  nn::SignalTowerConfig t;
  t.encoder.n_in = n_in;
  t.encoder.dim = dim;
  t.encoder.n_layer = n_layer;
  t.encoder.n_head = n_head;
  t.encoder.ff = ff;
  t.encoder.max_positions = (steps + 1) / 2;
  t.n_tokens = tokens;
  t.projector = projector;
  t.perceiver_layers = perceiver_layers;
  t.perceiver_heads = perceiver_heads;
  return t;
}

std::vector<int64_t> AnymalConfig::xattn_layers() const {
  std::vector<int64_t> out;
  for (int64_t i = 0; xattn_every > 0 && i < lm.n_layer; i += xattn_every) out.push_back(i);
  return out;
}

nn::SignalTowerConfig AnymalConfig::audio_tower() const {
  return audio.tower(LogMelConfig().n_mels, audio_frames(audio.seconds));
}

nn::SignalTowerConfig AnymalConfig::imu_tower() const {
  return imu.tower(kImuChannels, imu_steps(imu.seconds));
}

nlohmann::json AnymalConfig::to_json() const {
  nlohmann::json j = {{"lm",
                       {{"vocab", lm.vocab},
                        {"dim", lm.dim},
                        {"n_layer", lm.n_layer},
                        {"n_head", lm.n_head},
                        {"n_kv_head", lm.n_kv_head > 0 ? lm.n_kv_head : lm.n_head},
                        {"ff", lm.ff},
                        {"ctx", lm.ctx},
                        {"rope_base", lm.rope_base},
                        {"norm_eps", lm.norm_eps}}},
                      {"vit",
                       {{"image_size", vit.image_size},
                        {"patch", vit.patch},
                        {"dim", vit.dim},
                        {"n_layer", vit.n_layer},
                        {"n_head", vit.n_head},
                        {"ff", vit.ff},
                        {"eps", vit.eps},
                        {"act", vit.quick_gelu ? "quick_gelu" : "gelu"}}},
                      {"projector", projector},
                      {"proj_hidden", proj_hidden > 0 ? proj_hidden : lm.dim},
                      {"perceiver_queries", perceiver_queries},
                      {"perceiver_layers", perceiver_layers},
                      {"perceiver_heads", perceiver_heads},
                      {"mean", mean},
                      {"std", std}};
  if (xattn_every > 0) j["xattn_every"] = xattn_every;  // decoder-only configs read as before
  if (audio.present()) j["audio"] = signal_json(audio, false);
  if (imu.present()) j["imu"] = signal_json(imu, true);
  return j;
}

AnymalConfig AnymalConfig::from_json(const nlohmann::json& j, const std::string& where) {
  AnymalConfig c;
  reject_unknown(j,
                 {"lm", "vit", "projector", "proj_hidden", "perceiver_queries", "perceiver_layers",
                  "perceiver_heads", "mean", "std", "audio", "imu", "xattn_every"},
                 where);
  if (j.contains("audio")) c.audio = signal_from_json(j["audio"], false, where + ".audio");
  if (j.contains("imu")) c.imu = signal_from_json(j["imu"], true, where + ".imu");
  if (!j.contains("lm") || !j.contains("vit"))
    throw_error(ErrorKind::invalid_input, where + ": needs both \"lm\" and \"vit\"");
  const nlohmann::json &l = j["lm"], &v = j["vit"];
  const std::string lw = where + ".lm", vw = where + ".vit";
  reject_unknown(
      l, {"vocab", "dim", "n_layer", "n_head", "n_kv_head", "ff", "ctx", "rope_base", "norm_eps"},
      lw);
  for (const char* k : {"vocab", "dim", "n_layer", "n_head", "ff"})
    if (!l.contains(k)) throw_error(ErrorKind::invalid_input, lw + ": missing " + k);
  read_int(l, "vocab", c.lm.vocab, lw);
  read_int(l, "dim", c.lm.dim, lw);
  read_int(l, "n_layer", c.lm.n_layer, lw);
  read_int(l, "n_head", c.lm.n_head, lw);
  c.lm.n_kv_head = c.lm.n_head;
  read_int(l, "n_kv_head", c.lm.n_kv_head, lw);
  read_int(l, "ff", c.lm.ff, lw);
  read_int(l, "ctx", c.lm.ctx, lw);
  read_float(l, "rope_base", c.lm.rope_base, lw);
  read_float(l, "norm_eps", c.lm.norm_eps, lw);
  if (c.lm.dim % c.lm.n_head || c.lm.n_head % c.lm.n_kv_head || (c.lm.dim / c.lm.n_head) % 2)
    throw_error(ErrorKind::invalid_input,
                lw + ": dim must split into n_head even-sized heads, n_head into n_kv_head groups");
  reject_unknown(v, {"image_size", "patch", "dim", "n_layer", "n_head", "ff", "eps", "act"}, vw);
  if (v.contains("act")) {
    if (v["act"] != "gelu" && v["act"] != "quick_gelu")
      throw_error(ErrorKind::invalid_input, vw + ": act must be \"gelu\" or \"quick_gelu\"");
    c.vit.quick_gelu = v["act"] == "quick_gelu";
  }
  for (const char* k : {"image_size", "patch", "dim", "n_layer", "n_head", "ff"})
    if (!v.contains(k)) throw_error(ErrorKind::invalid_input, vw + ": missing " + k);
  read_int(v, "image_size", c.vit.image_size, vw);
  read_int(v, "patch", c.vit.patch, vw);
  read_int(v, "dim", c.vit.dim, vw);
  read_int(v, "n_layer", c.vit.n_layer, vw);
  read_int(v, "n_head", c.vit.n_head, vw);
  read_int(v, "ff", c.vit.ff, vw);
  read_float(v, "eps", c.vit.eps, vw);
  if (c.vit.image_size % c.vit.patch || c.vit.dim % c.vit.n_head)
    throw_error(ErrorKind::invalid_input,
                vw + ": image_size must be a multiple of patch, dim of n_head");
  if (j.contains("projector")) {
    if (!j["projector"].is_string() || (j["projector"] != "mlp" && j["projector"] != "perceiver"))
      throw_error(ErrorKind::invalid_input, where + ": projector must be \"mlp\" or \"perceiver\"");
    c.projector = j["projector"].get<std::string>();
  }
  read_int(j, "proj_hidden", c.proj_hidden, where);
  read_int(j, "perceiver_queries", c.perceiver_queries, where);
  read_int(j, "perceiver_layers", c.perceiver_layers, where);
  read_int(j, "perceiver_heads", c.perceiver_heads, where);
  read_int(j, "xattn_every", c.xattn_every, where);
  for (const char* k : {"mean", "std"}) {
    if (!j.contains(k)) continue;
    if (!j[k].is_array() || j[k].size() != 3)
      throw_error(ErrorKind::invalid_input, where + ": " + k + " must be 3 numbers");
    auto& dst = std::string(k) == "mean" ? c.mean : c.std;
    for (size_t i = 0; i < 3; ++i) {
      if (!j[k][i].is_number())
        throw_error(ErrorKind::invalid_input, where + ": " + k + " must be 3 numbers");
      dst[i] = j[k][i].get<float>();
    }
  }
  return c;
}

}  // namespace anymal::models
