#include "train/sharded_adamw.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/autograd_node.h"
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

namespace {

// This rank's range of a flat vector of weights, copied out of the tensors.
void take_shard(const std::vector<Tensor>& params, const FlatLayout& layout,
                std::vector<float>& shard) {
  shard.resize(size_t(layout.owned()));
  layout.for_each_piece(layout.begin, layout.end, [&](size_t i, int64_t e, int64_t n, int64_t j) {
    const float* p = params[i].data<float>() + e;
    std::copy(p, p + n, shard.begin() + (j - layout.begin));
  });
}

void drop_params(const std::vector<Tensor>& params, size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) params[i].impl()->storage->drop();
}

// Elements [lo, hi) of a flat vector gathered from the ranks' shards into the (restored)
// tensors. Collective.
void gather_flat(Comm& comm, const std::vector<Tensor>& params, const FlatLayout& layout,
                 const std::vector<float>& shard, int64_t lo, int64_t hi,
                 std::vector<float>& scratch) {
  if (hi <= lo) return;
  std::vector<int64_t> counts;
  int64_t at = 0;
  for (int64_t c : layout.counts) {
    counts.push_back(std::max<int64_t>(0, std::min(hi, at + c) - std::max(lo, at)));
    at += c;
  }
  // The buffer is kept across calls: a fresh one per gather costs page faults each step.
  if (scratch.size() < size_t(hi - lo)) scratch.resize(size_t(hi - lo));
  float* buf = scratch.data();
  const int64_t a = std::max(lo, layout.begin), z = std::min(hi, layout.end);
  if (z > a)
    std::copy(shard.begin() + (a - layout.begin), shard.begin() + (z - layout.begin),
              buf + (a - lo));
  comm.allgather_parts(buf, counts);
  layout.for_each_piece(lo, hi, [&](size_t i, int64_t e, int64_t n, int64_t j) {
    params[i].impl()->storage->restore();
    std::copy(buf + (j - lo), buf + (j - lo + n), params[i].mutable_data<float>() + e);
  });
}

}  // namespace

ShardedAdamW::~ShardedAdamW() {
  for (nn::Module* m : hooked_) m->set_pre_forward({});
}

void ShardedAdamW::set_units(const std::vector<nn::Module*>& blocks, const nn::Module& model) {
  if (!zero3()) return;
  ANYMAL_ASSERT(!sharded_ && units_.empty());
  std::unordered_map<const TensorImpl*, size_t> index;
  for (size_t i = 0; i < params_.size(); ++i) index[params_[i].impl()] = i;
  std::unordered_map<const TensorImpl*, std::string> names;
  for (const auto& [name, t] : model.named_parameters()) names[t.impl()] = name;
  unit_of_.assign(params_.size(), -1);
  for (nn::Module* block : blocks) {
    std::vector<size_t> mine;
    for (const Tensor& t : block->trainable_parameters())
      if (auto it = index.find(t.impl()); it != index.end()) mine.push_back(it->second);
    std::sort(mine.begin(), mine.end());
    if (!mine.empty() && mine.back() - mine.front() + 1 != mine.size()) continue;  // root
    Unit u;
    u.first = mine.empty() ? 0 : mine.front();
    u.last = mine.empty() ? 0 : mine.back() + 1;
    u.lo = layout_.offsets[u.first];
    u.hi = mine.empty() ? u.lo : layout_.offsets[u.last];
    u.ffirst = frozen_.size();
    for (const auto& [name, t] : block->named_parameters()) {
      if (t.requires_grad() || t.dtype() != DType::f32 || !t.is_contiguous() || t.offset() != 0 ||
          t.impl()->storage->read_only() || !names.count(t.impl()))
        continue;  // trains, or cannot be dropped: stays as it is
      frozen_.push_back(t);
      frozen_names_.push_back(names.at(t.impl()));
    }
    u.flast = frozen_.size();
    if (mine.empty() && u.flast == u.ffirst) continue;  // nothing to shard
    const size_t k = units_.size();
    for (size_t i = u.first; i < u.last; ++i) {
      unit_of_[i] = int(k);
      unit_by_storage_[params_[i].impl()->storage.get()] = k;
    }
    for (size_t i = u.ffirst; i < u.flast; ++i)
      unit_by_storage_[frozen_[i].impl()->storage.get()] = k;
    block->set_pre_forward([this, k] { forward_enter(k); });
    hooked_.push_back(block);
    units_.push_back(u);
  }
  frozen_layout_ = std::make_unique<FlatLayout>(frozen_, comm_.size(), comm_.rank());
  for (Unit& u : units_) {
    u.flo = frozen_layout_->offsets[u.ffirst];
    u.fhi = frozen_layout_->offsets[u.flast];
  }
  for (size_t i = 0; i < params_.size();) {  // the root unit, as runs of the flat vector
    if (unit_of_[i] >= 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < params_.size() && unit_of_[j] < 0) ++j;
    root_runs_.emplace_back(layout_.offsets[i], layout_.offsets[j]);
    i = j;
  }
  gather_comm_ = comm_.duplicate();
  if (comm_.uses_nccl()) gather_comm_->use_nccl();
}

void ShardedAdamW::shard_weights() {
  if (!zero3()) return;
  if (!gather_comm_) {  // set_units() was not called: one root unit
    unit_of_.assign(params_.size(), -1);
    root_runs_.emplace_back(0, layout_.total());
    gather_comm_ = comm_.duplicate();
    if (comm_.uses_nccl()) gather_comm_->use_nccl();
  }
  take_shard(params_, layout_, shard_);
  drop_params(params_, 0, params_.size());
  if (frozen_layout_) {
    take_shard(frozen_, *frozen_layout_, frozen_shard_);
    drop_params(frozen_, 0, frozen_.size());
  }
  sharded_ = true;
}

void ShardedAdamW::gather_range(int64_t lo, int64_t hi) {
  gather_flat(*gather_comm_, params_, layout_, shard_, lo, hi, scratch_);
}

void ShardedAdamW::gather_unit(size_t k) {
  const Unit& u = units_[k];
  gather_range(u.lo, u.hi);
  gather_flat(*gather_comm_, frozen_, *frozen_layout_, frozen_shard_, u.flo, u.fhi, scratch_);
}

void ShardedAdamW::drop_unit(size_t k) {
  drop_params(params_, units_[k].first, units_[k].last);
  drop_params(frozen_, units_[k].ffirst, units_[k].flast);
}

void ShardedAdamW::begin_passes() {
  if (!zero3()) return;
  for (const auto& [lo, hi] : root_runs_) gather_range(lo, hi);
  forward_next_ = 0;
}

void ShardedAdamW::end_passes() {
  if (zero3()) drop_params(params_, 0, params_.size());
}

void ShardedAdamW::gather_all() {
  if (!zero3() || !sharded_) return;
  gather_range(0, layout_.total());
  if (frozen_layout_)
    gather_flat(*gather_comm_, frozen_, *frozen_layout_, frozen_shard_, 0, frozen_layout_->total(),
                scratch_);
  for (nn::Module* m : hooked_) m->set_pre_forward({});
  hooked_.clear();
  sharded_ = false;
}

// Forward reached unit k: every unit up to it is gathered in turn (those this rank's examples
// skipped, only to take part in the collective), the one forward leaves is freed.
void ShardedAdamW::forward_enter(size_t k) {
  if (k < forward_next_) {
    const Unit& u = units_[k];
    const Tensor& any = u.last > u.first ? params_[u.first] : frozen_[u.ffirst];
    if (any.impl()->storage->dropped())
      throw_error(ErrorKind::unsupported,
                  "--shard parameters: a transformer block ran twice in one forward pass");
    return;
  }
  if (forward_next_ > 0) drop_unit(forward_next_ - 1);
  for (size_t j = forward_next_; j <= k; ++j) {
    gather_unit(j);
    if (j < k) drop_unit(j);
  }
  forward_next_ = k + 1;
}

// Backward is about to read unit k: gathered, after the units above it (in reverse order).
// A unit's trainable weights are freed when their gradients are taken (nothing reads a leaf
// after its last consumer); its frozen ones when backward first reads a lower unit: every op
// of a block runs on the output of the blocks before it, so in reverse order all of unit
// k's ops come before any op of a lower unit.
void ShardedAdamW::backward_need(size_t k) {
  if (int64_t(k) > backward_next_) return;  // gathered already
  if (last_needed_ > int64_t(k))
    drop_params(frozen_, units_[size_t(last_needed_)].ffirst, units_[size_t(last_needed_)].flast);
  for (int64_t j = backward_next_; j >= int64_t(k); --j) {
    gather_unit(size_t(j));
    if (j > int64_t(k)) drop_unit(size_t(j));
  }
  backward_next_ = int64_t(k) - 1;
  last_needed_ = int64_t(k);
}

PassHooks ShardedAdamW::pass_hooks() {
  if (!zero3()) return {};
  PassHooks h;
  h.before_backward = [this] {
    // The units forward did not reach take part in their gathers; all are freed.
    for (size_t j = forward_next_; j < units_.size(); ++j) gather_unit(j);
    for (size_t j = 0; j < units_.size(); ++j) drop_unit(j);
    for (Unit& u : units_) u.pending = u.last - u.first;
    backward_next_ = int64_t(units_.size()) - 1;
    last_needed_ = -1;
  };
  h.before_node = [this](const autograd::Node& op) {
    for (const Tensor& in : op.inputs)
      if (in.defined())
        if (auto it = unit_by_storage_.find(in.impl()->storage.get()); it != unit_by_storage_.end())
          backward_need(it->second);
  };
  h.leaf_done = [this](size_t i) {
    if (unit_of_.empty() || unit_of_[i] < 0) return;
    Unit& u = units_[size_t(unit_of_[i])];
    if (--u.pending == 0) drop_params(params_, u.first, u.last);  // its gradients are taken
  };
  h.after_backward = [this] {
    for (int64_t j = backward_next_; j >= 0; --j) gather_unit(size_t(j));
    for (size_t j = 0; j < units_.size(); ++j) drop_unit(j);
    forward_next_ = 0;
  };
  return h;
}

float ShardedAdamW::step(GradSync& grads, float lr, float clip) {
  // ZeRO-1 has the whole summed gradient; ZeRO-2/3 this rank's range of it.
  const bool whole = level_ == ShardLevel::optimizer;
  float* g = grads.sums() - (whole ? 0 : layout_.begin);  // indexed by flat position
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
  if (zero3() || !comm_.distributed()) return norm;
  // Every rank's updated range, to every rank.
  if (scratch_.size() < size_t(layout_.total())) scratch_.resize(size_t(layout_.total()));
  float* flat = scratch_.data();
  layout_.for_each_piece(
      layout_.begin, layout_.end, [&](size_t i, int64_t e, int64_t n, int64_t j) {
        std::copy(params_[i].data<float>() + e, params_[i].data<float>() + e + n, flat + j);
      });
  comm_.allgather_parts(flat, layout_.counts);
  auto store = [&](size_t i, int64_t e, int64_t n, int64_t j) {
    std::copy(flat + j, flat + j + n, params_[i].mutable_data<float>() + e);
  };
  layout_.for_each_piece(0, layout_.begin, store);
  layout_.for_each_piece(layout_.end, layout_.total(), store);
  return norm;
}

void ShardedAdamW::save(const std::string& path, const nn::Module& model, nlohmann::json state) {
  ANYMAL_ASSERT(!zero3() || sharded_);
  std::vector<ShardArray> arrays = {{"m", m_.data(), layout_.owned()},
                                    {"v", v_.data(), layout_.owned()}};
  ShardRanges ranges{layout_.begin, layout_.end, 0, 0};
  FlatList trainable{names_, sizes_, layout_.counts}, frozen;
  std::set<std::string> in_shards;
  if (zero3()) {
    arrays.push_back({"param", shard_.data(), layout_.owned()});
    in_shards.insert(names_.begin(), names_.end());
  }
  if (frozen_layout_) {
    arrays.push_back({"frozen", frozen_shard_.data(), frozen_layout_->owned()});
    ranges.frozen_begin = frozen_layout_->begin;
    ranges.frozen_end = frozen_layout_->end;
    frozen.names = frozen_names_;
    for (const Tensor& t : frozen_) frozen.sizes.push_back(t.numel());
    frozen.counts = frozen_layout_->counts;
    in_shards.insert(frozen_names_.begin(), frozen_names_.end());
  }
  save_shard(path, comm_.rank(), comm_.size(), ranges, arrays);
  comm_.barrier();  // every shard is on disk before the manifest names it
  if (comm_.rank() != 0) return;
  state["shards"] = shard_manifest(path, shard_level_name(level_), trainable, frozen);
  state["optimizer_steps"] = step_;
  save_checkpoint(path, model, nullptr, state, in_shards);
}

void ShardedAdamW::load(const std::string& checkpoint) {
  ANYMAL_ASSERT(!sharded_);
  m_ = read_flat(checkpoint, "m", names_, sizes_, layout_.begin, layout_.end);
  v_ = read_flat(checkpoint, "v", names_, sizes_, layout_.begin, layout_.end);
  const nlohmann::json state = read_checkpoint_state(checkpoint);
  step_ = state.contains("optimizer_steps")
              ? state["optimizer_steps"].get<int64_t>()
              : GgufFile::open(checkpoint)->get_int("anymal.optimizer.steps");
}

}  // namespace anymal::train
