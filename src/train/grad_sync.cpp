#include "train/grad_sync.h"

#include <algorithm>

#include "autograd/backward.h"
#include "core/error.h"

namespace anymal::train {

GradSync::GradSync(const std::vector<Tensor>& params, const FlatLayout& layout, Comm& comm,
                   GradSyncOptions opt)
    : params_(params), layout_(layout), comm_(comm), opt_(opt) {
  for (size_t i = 0; i < params.size(); ++i) index_[params[i].impl()] = i;
  bucket_of_.assign(params.size(), 0);
  for (size_t i = params.size(); i > 0;) {  // the last parameters first
    Bucket b;
    b.last = i;
    for (int64_t bytes = 0; i > 0 && bytes < opt.bucket_bytes;) bytes += params[--i].numel() * 4;
    b.first = i;
    b.lo = layout.offsets[b.first];
    b.hi = layout.offsets[b.last];
    for (size_t k = b.first; k < b.last; ++k) bucket_of_[k] = buckets_.size();
    buckets_.push_back(std::move(b));
  }
  had_.assign(params.size(), 0.0f);
  n_sums_ = opt.sharded ? layout.owned() : layout.total();
  flat_ = Tensor::zeros(Shape{std::max<int64_t>(1, n_sums_)});
  sums_ = flat_.mutable_data<float>();
}

void GradSync::backward(const Tensor& loss, bool last) {
  if (fresh_) {
    std::fill(had_.begin(), had_.end(), 0.0f);
    std::fill(sums_, sums_ + n_sums_, 0.0f);
    fresh_ = false;
  }
  reducing_ = opt_.sharded || last;
  seen_.assign(params_.size(), 0);
  for (Bucket& b : buckets_) b.waiting = b.last - b.first;
  next_ = collected_ = 0;
  if (hooks_.before_backward) hooks_.before_backward();
  autograd::backward(
      loss, Tensor(), [this](TensorImpl* leaf) { leaf_done(leaf); }, hooks_.before_node);
  if (hooks_.after_backward) hooks_.after_backward();
  finish_pass();
  if (last) {
    if (opt_.reduce) comm_.allreduce_sum(had_.data(), int64_t(had_.size()));
    fresh_ = true;
  }
}

void GradSync::leaf_done(TensorImpl* leaf) {
  auto it = index_.find(leaf);
  if (it == index_.end() || seen_[it->second]) return;
  const size_t i = it->second;
  const Tensor& p = params_[i];
  const Tensor g = p.grad();
  std::vector<float> copy;
  const float* d = g.is_contiguous() && g.dtype() == DType::f32 ? g.data<float>()
                                                                : (copy = g.to_floats()).data();
  const int64_t n = p.numel(), at = layout_.offsets[i];
  Bucket& b = buckets_[bucket_of_[i]];
  if (!opt_.sharded) {
    float* s = sums_ + at;
    for (int64_t k = 0; k < n; ++k) s[k] += d[k];
  } else {
    if (b.send.empty()) b.send.assign(size_t(b.hi - b.lo), 0.0f);
    std::copy(d, d + n, b.send.begin() + (at - b.lo));
  }
  had_[i] += 1;
  p.zero_grad();  // its memory is free again before backward goes on
  seen_[i] = 1;
  --b.waiting;
  if (hooks_.leaf_done) hooks_.leaf_done(i);
  launch_ready();
  comm_.progress();
  if (opt_.sharded) collect(false);
}

// Sharded: the buckets whose reduction is complete add this rank's range to the sums and free
// their buffers, so that only the buckets in flight hold gradients beyond the shard.
void GradSync::collect(bool all) {
  for (; collected_ < next_; ++collected_) {
    Bucket& b = buckets_[collected_];
    if (!all && !comm_.finished(b.ticket)) break;
    const int64_t lo = std::max(b.lo, layout_.begin), hi = std::min(b.hi, layout_.end);
    for (int64_t j = lo; j < hi; ++j) sums_[size_t(j - layout_.begin)] += b.recv[size_t(j - lo)];
    b.send = {};
    b.recv = {};
  }
}

void GradSync::launch_ready() {
  for (; next_ < buckets_.size() && buckets_[next_].waiting == 0; ++next_) {
    if (!reducing_) continue;
    Bucket& b = buckets_[next_];
    if (!opt_.sharded) {
      if (opt_.reduce) comm_.start_allreduce(sums_ + b.lo, b.hi - b.lo, opt_.bf16);
      continue;
    }
    std::vector<int64_t> counts;
    int64_t at = 0;
    for (int64_t c : layout_.counts) {
      counts.push_back(std::max<int64_t>(0, std::min(b.hi, at + c) - std::max(b.lo, at)));
      at += c;
    }
    if (b.send.empty()) b.send.assign(size_t(b.hi - b.lo), 0.0f);
    b.recv.assign(size_t(std::max<int64_t>(1, counts[size_t(comm_.rank())])), 0.0f);
    if (opt_.reduce) {
      b.ticket = comm_.start_reduce_scatter(b.send.data(), b.recv.data(), counts, opt_.bf16);
    } else {
      const int64_t lo = std::max(b.lo, layout_.begin), hi = std::min(b.hi, layout_.end);
      if (hi > lo)
        std::copy(b.send.begin() + (lo - b.lo), b.send.begin() + (hi - b.lo), b.recv.begin());
    }
  }
}

void GradSync::finish_pass() {
  for (size_t i = 0; i < params_.size(); ++i)  // no gradient on this rank in this pass
    if (!seen_[i]) --buckets_[bucket_of_[i]].waiting;
  launch_ready();
  ANYMAL_ASSERT(next_ == buckets_.size());
  if (!reducing_) return;
  comm_.wait();
  if (opt_.sharded) collect(true);
}

void GradSync::store_grads() const {
  ANYMAL_ASSERT(!opt_.sharded);
  for (size_t i = 0; i < params_.size(); ++i) {
    if (had_[i] <= 0) continue;
    const Shape& shape = params_[i].shape();
    params_[i].set_grad(flat_.view_as(shape, contiguous_strides(shape), layout_.offsets[i]));
  }
}

}  // namespace anymal::train
