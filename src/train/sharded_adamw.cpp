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

ShardedAdamW::~ShardedAdamW() {
  for (nn::Module* m : hooked_) m->set_pre_forward({});
}

void ShardedAdamW::set_units(const std::vector<nn::Module*>& blocks) {
  if (!zero3()) return;
  ANYMAL_ASSERT(!sharded_ && units_.empty());
  std::unordered_map<const TensorImpl*, size_t> index;
  for (size_t i = 0; i < params_.size(); ++i) index[params_[i].impl()] = i;
  unit_of_.assign(params_.size(), -1);
  for (nn::Module* block : blocks) {
    std::vector<size_t> mine;
    for (const Tensor& t : block->trainable_parameters())
      if (auto it = index.find(t.impl()); it != index.end()) mine.push_back(it->second);
    if (mine.empty()) continue;  // nothing of it trains
    std::sort(mine.begin(), mine.end());
    if (mine.back() - mine.front() + 1 != mine.size()) continue;  // not contiguous: root
    Unit u;
    u.first = mine.front();
    u.last = mine.back() + 1;
    u.lo = layout_.offsets[u.first];
    u.hi = layout_.offsets[u.last];
    for (size_t i = u.first; i < u.last; ++i) {
      unit_of_[i] = int(units_.size());
      unit_by_storage_[params_[i].impl()->storage.get()] = units_.size();
    }
    const size_t k = units_.size();
    block->set_pre_forward([this, k] { forward_enter(k); });
    hooked_.push_back(block);
    units_.push_back(u);
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
  if (units_.empty() && root_runs_.empty()) {  // set_units() was not called: one root unit
    unit_of_.assign(params_.size(), -1);
    root_runs_.emplace_back(0, layout_.total());
    gather_comm_ = comm_.duplicate();
    if (comm_.uses_nccl()) gather_comm_->use_nccl();
  }
  shard_.resize(size_t(layout_.owned()));
  layout_.for_each_piece(layout_.begin, layout_.end,
                         [&](size_t i, int64_t e, int64_t n, int64_t j) {
                           const float* p = params_[i].data<float>() + e;
                           std::copy(p, p + n, shard_.begin() + (j - layout_.begin));
                         });
  drop(0, params_.size());
  sharded_ = true;
}

void ShardedAdamW::gather_range(int64_t lo, int64_t hi) {
  if (hi <= lo) return;
  std::vector<int64_t> counts;
  int64_t at = 0;
  for (int64_t c : layout_.counts) {
    counts.push_back(std::max<int64_t>(0, std::min(hi, at + c) - std::max(lo, at)));
    at += c;
  }
  // A scratch buffer kept across calls: a fresh one per gather costs page faults each step.
  if (scratch_.size() < size_t(hi - lo)) scratch_.resize(size_t(hi - lo));
  float* buf = scratch_.data();
  const int64_t a = std::max(lo, layout_.begin), z = std::min(hi, layout_.end);
  if (z > a)
    std::copy(shard_.begin() + (a - layout_.begin), shard_.begin() + (z - layout_.begin),
              buf + (a - lo));
  gather_comm_->allgather_parts(buf, counts);
  layout_.for_each_piece(lo, hi, [&](size_t i, int64_t e, int64_t n, int64_t j) {
    params_[i].impl()->storage->restore();
    std::copy(buf + (j - lo), buf + (j - lo + n), params_[i].mutable_data<float>() + e);
  });
}

void ShardedAdamW::drop(size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) params_[i].impl()->storage->drop();
}

void ShardedAdamW::begin_passes() {
  if (!zero3()) return;
  for (const auto& [lo, hi] : root_runs_) gather_range(lo, hi);
  forward_next_ = 0;
}

void ShardedAdamW::end_passes() {
  if (zero3()) drop(0, params_.size());
}

void ShardedAdamW::gather_all() {
  if (!zero3() || !sharded_) return;
  gather_range(0, layout_.total());
  for (nn::Module* m : hooked_) m->set_pre_forward({});
  hooked_.clear();
  sharded_ = false;
}

// Forward reached unit k: every unit up to it is gathered in turn (those this rank's examples
// skipped, only to take part in the collective), the one forward leaves is freed.
void ShardedAdamW::forward_enter(size_t k) {
  if (k < forward_next_) {
    if (params_[units_[k].first].impl()->storage->dropped())
      throw_error(ErrorKind::unsupported,
                  "--shard parameters: a transformer block ran twice in one forward pass");
    return;
  }
  if (forward_next_ > 0) {
    const Unit& prev = units_[forward_next_ - 1];
    drop(prev.first, prev.last);
  }
  for (size_t j = forward_next_; j <= k; ++j) {
    gather_range(units_[j].lo, units_[j].hi);
    if (j < k) drop(units_[j].first, units_[j].last);
  }
  forward_next_ = k + 1;
}

// Backward is about to read unit k: gathered, after the units above it (in reverse order).
void ShardedAdamW::backward_need(size_t k) {
  if (int64_t(k) > backward_next_) {
    if (params_[units_[k].first].impl()->storage->dropped())
      throw_error(ErrorKind::internal,
                  "--shard parameters: a block's weights were needed after "
                  "its gradients were complete");
    return;
  }
  for (int64_t j = backward_next_; j >= int64_t(k); --j) {
    const Unit& u = units_[size_t(j)];
    gather_range(u.lo, u.hi);
    if (j > int64_t(k)) drop(u.first, u.last);
  }
  backward_next_ = int64_t(k) - 1;
}

PassHooks ShardedAdamW::pass_hooks() {
  if (!zero3()) return {};
  PassHooks h;
  h.before_backward = [this] {
    // The units forward did not reach take part in their gathers; all are freed.
    for (size_t j = forward_next_; j < units_.size(); ++j) gather_range(units_[j].lo, units_[j].hi);
    for (const Unit& u : units_) drop(u.first, u.last);
    for (Unit& u : units_) u.pending = u.last - u.first;
    backward_next_ = int64_t(units_.size()) - 1;
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
    if (--u.pending == 0) drop(u.first, u.last);  // its gradients are all taken
  };
  h.after_backward = [this] {
    for (int64_t j = backward_next_; j >= 0; --j)
      gather_range(units_[size_t(j)].lo, units_[size_t(j)].hi);
    for (const Unit& u : units_) drop(u.first, u.last);
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
  ANYMAL_ASSERT(!sharded_);
  m_ = read_flat(checkpoint, "m", names_, sizes_, layout_.begin, layout_.end);
  v_ = read_flat(checkpoint, "v", names_, sizes_, layout_.begin, layout_.end);
  const nlohmann::json state = read_checkpoint_state(checkpoint);
  step_ = state.contains("optimizer_steps")
              ? state["optimizer_steps"].get<int64_t>()
              : GgufFile::open(checkpoint)->get_int("anymal.optimizer.steps");
}

}  // namespace anymal::train
