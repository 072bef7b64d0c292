#include "train/sharded_adamw.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/storage.h"
#include "formats/gguf.h"
#include "train/checkpoint.h"

namespace anymal::train {

ShardLevel parse_shard_level(const std::string& s) {
  if (s == "none") return ShardLevel::none;
  if (s == "optimizer") return ShardLevel::optimizer;
  if (s == "gradients") return ShardLevel::gradients;
  if (s == "parameters") return ShardLevel::parameters;
  throw_error(ErrorKind::invalid_input,
              "--shard " + s + ": expected none, optimizer, gradients or parameters");
}

const char* shard_level_name(ShardLevel level) {
  switch (level) {
    case ShardLevel::none:
      return "none";
    case ShardLevel::optimizer:
      return "optimizer";
    case ShardLevel::gradients:
      return "gradients";
    case ShardLevel::parameters:
      return "parameters";
  }
  return "?";
}

ShardedAdamW::ShardedAdamW(std::vector<Tensor> params, std::vector<std::string> names,
                           AdamWOptions opt, Comm& comm, ShardLevel level)
    : params_(std::move(params)),
      names_(std::move(names)),
      opt_(opt),
      comm_(comm),
      level_(level),
      layout_(params_, comm.size(), comm.rank()) {
  ANYMAL_ASSERT(level != ShardLevel::none && names_.size() == params_.size());
  for (const Tensor& p : params_) {
    if (p.dtype() != DType::f32 || !p.is_contiguous() || p.offset() != 0)
      throw_error(ErrorKind::invalid_input, "sharded AdamW: parameter " + p.name() +
                                                " must be contiguous f32, got " + p.str());
    sizes_.push_back(p.numel());
  }
  m_.assign(size_t(layout_.owned()), 0.0f);
  v_.assign(size_t(layout_.owned()), 0.0f);
}

void ShardedAdamW::gather() {
  if (level_ != ShardLevel::parameters || !released_) return;
  std::vector<float> flat(size_t(layout_.total()));
  std::copy(shard_.begin(), shard_.end(), flat.begin() + layout_.begin);
  comm_.allgather_parts(flat.data(), layout_.counts);
  for (size_t i = 0; i < params_.size(); ++i) {
    TensorImpl& t = *params_[i].impl();
    t.storage = Storage::allocate(size_t(sizes_[i]) * sizeof(float), false);
    std::memcpy(t.storage->data(), flat.data() + layout_.offsets[i],
                size_t(sizes_[i]) * sizeof(float));
  }
  released_ = false;
}

void ShardedAdamW::release() {
  if (level_ != ShardLevel::parameters || released_) return;
  shard_.resize(size_t(layout_.owned()));
  layout_.for_each_piece(layout_.begin, layout_.end,
                         [&](size_t i, int64_t e, int64_t n, int64_t j) {
                           const float* p = params_[i].data<float>() + e;
                           std::copy(p, p + n, shard_.begin() + (j - layout_.begin));
                         });
  for (const Tensor& p : params_) p.impl()->storage = Storage::allocate(0, false);
  released_ = true;
}

float ShardedAdamW::step(GradSync& grads, float lr, float clip) {
  // ZeRO-1 has the whole summed gradient; ZeRO-2/3 this rank's range of it.
  const bool whole = level_ == ShardLevel::optimizer;
  std::vector<float>& sums = grads.sums();
  float* g = sums.data() - (whole ? 0 : layout_.begin);  // indexed by flat position
  double total = 0;
  if (whole) {  // clip_grad_norm's order, for the same bits
    for (size_t i = 0; i < params_.size(); ++i)
      if (grads.had(i))
        for (int64_t j = layout_.offsets[i]; j < layout_.offsets[i + 1]; ++j)
          total += double(g[j]) * g[j];
  } else {
    layout_.for_each_piece(layout_.begin, layout_.end,
                           [&](size_t i, int64_t, int64_t n, int64_t j) {
                             if (grads.had(i))
                               for (int64_t k = j; k < j + n; ++k) total += double(g[k]) * g[k];
                           });
    comm_.allreduce_sum(&total, 1);
  }
  const float norm = float(std::sqrt(total));
  const float scale = norm > clip ? clip / (norm + 1e-6f) : 1.0f;
  ++step_;
  const AdamWStep k = AdamWStep::at(opt_, lr, step_);
  layout_.for_each_piece(
      layout_.begin, layout_.end, [&](size_t i, int64_t e, int64_t n, int64_t j) {
        if (!grads.had(i)) return;
        if (scale != 1.0f)
          for (int64_t q = j; q < j + n; ++q) g[q] *= scale;
        float* p = level_ == ShardLevel::parameters ? shard_.data() + (j - layout_.begin)
                                                    : params_[i].mutable_data<float>() + e;
        adamw_update(p, m_.data() + (j - layout_.begin), v_.data() + (j - layout_.begin), g + j, n,
                     k);
      });
  if (level_ == ShardLevel::parameters || !comm_.distributed()) return norm;
  // Every rank's updated range, to every rank.
  std::vector<float> flat(size_t(layout_.total()));
  layout_.for_each_piece(
      layout_.begin, layout_.end, [&](size_t i, int64_t e, int64_t n, int64_t j) {
        std::copy(params_[i].data<float>() + e, params_[i].data<float>() + e + n, flat.begin() + j);
      });
  comm_.allgather_parts(flat.data(), layout_.counts);
  auto store = [&](size_t i, int64_t e, int64_t n, int64_t j) {
    std::copy(flat.begin() + j, flat.begin() + j + n, params_[i].mutable_data<float>() + e);
  };
  layout_.for_each_piece(0, layout_.begin, store);
  layout_.for_each_piece(layout_.end, layout_.total(), store);
  return norm;
}

void ShardedAdamW::save(const std::string& path, const nn::Module& model, nlohmann::json state) {
  if (level_ == ShardLevel::parameters && !released_) release();
  std::vector<std::pair<std::string, const float*>> arrays = {{"m", m_.data()}, {"v", v_.data()}};
  if (level_ == ShardLevel::parameters) arrays.emplace_back("param", shard_.data());
  save_shard(path, comm_.rank(), comm_.size(), layout_.begin, layout_.end, arrays);
  comm_.barrier();  // every shard is on disk before the manifest names it
  if (comm_.rank() != 0) return;
  state["shards"] = shard_manifest(path, names_, sizes_, layout_.counts, shard_level_name(level_));
  state["optimizer_steps"] = step_;
  std::set<std::string> in_shards;
  if (level_ == ShardLevel::parameters) in_shards.insert(names_.begin(), names_.end());
  save_checkpoint(path, model, nullptr, state, in_shards);
}

void ShardedAdamW::load(const std::string& checkpoint) {
  ANYMAL_ASSERT(!released_);
  m_ = read_flat(checkpoint, "m", names_, sizes_, layout_.begin, layout_.end);
  v_ = read_flat(checkpoint, "v", names_, sizes_, layout_.begin, layout_.end);
  const nlohmann::json state = read_checkpoint_state(checkpoint);
  step_ = state.contains("optimizer_steps")
              ? state["optimizer_steps"].get<int64_t>()
              : GgufFile::open(checkpoint)->get_int("anymal.optimizer.steps");
}

}  // namespace anymal::train
