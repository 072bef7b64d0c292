// The gradients of a data-parallel step, summed over micro-batches and ranks.
//
// Each micro-batch's backward pass runs through backward(): the moment a parameter's
// gradient is complete it is copied out (and freed), and when every parameter of a bucket
// (~bucket_bytes of consecutive parameters, the last ones first, as backward produces them)
// is in, the bucket's reduction starts while backward goes on — PyTorch DDP's scheme. Two
// ways to reduce:
//   replicated (plain data parallel, ZeRO-1): micro-batches add up locally, and the last
//     one's buckets are all-reduced, so every rank ends with the whole summed gradient;
//   sharded (ZeRO-2/3): every micro-batch's buckets are reduce-scattered, so a rank only
//     ever keeps the sum for its own range of the flat layout.
// Each parameter's "had a gradient" count is summed too: a parameter no example reached on
// any rank gets no update, as in one pass over the whole batch.
#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include "autograd/backward.h"

#include "train/comm.h"
#include "train/flat_layout.h"

namespace anymal::train {

struct GradSyncOptions {
  bool sharded = false;
  // false: every rank already has the whole gradient (a contrastive stage runs its whole
  // batch on every rank): nothing is sent, a sharded rank just keeps its range.
  bool reduce = true;
  bool bf16 = false;  // reduce in bfloat16 (half the bytes)
  int64_t bucket_bytes = int64_t(25) << 20;
};

// What a sharded optimizer does around each backward pass (train/sharded_adamw.h).
struct PassHooks {
  std::function<void()> before_backward, after_backward;
  autograd::BeforeNode before_node;
  std::function<void(size_t param)> leaf_done;  // after its gradient was taken
};

class GradSync {
 public:
  GradSync(const std::vector<Tensor>& params, const FlatLayout& layout, Comm& comm,
           GradSyncOptions opt);

  // Backward of one micro-batch's loss; `last` is the step's final micro-batch, after which
  // the sums are complete.
  void backward(const Tensor& loss, bool last);

  // After the last micro-batch: whether parameter i had a gradient anywhere, and the summed
  // gradients — the whole flat vector (replicated) or this rank's range (sharded).
  bool had(size_t i) const { return had_[i] > 0; }
  float* sums() { return sums_; }
  // Replicated: the sums become the parameters' .grad() (for clip_grad_norm and AdamW).
  void store_grads() const;
  void set_hooks(PassHooks hooks) { hooks_ = std::move(hooks); }

 private:
  void leaf_done(TensorImpl* leaf);
  void launch_ready();
  void finish_pass();
  void collect(bool all);

  const std::vector<Tensor>& params_;
  const FlatLayout& layout_;
  Comm& comm_;
  GradSyncOptions opt_;
  PassHooks hooks_;
  std::unordered_map<TensorImpl*, size_t> index_;
  std::vector<size_t> bucket_of_;  // per parameter
  struct Bucket {
    size_t first = 0, last = 0;  // parameters [first, last)
    int64_t lo = 0, hi = 0;      // flat range
    size_t waiting = 0;          // parameters not yet complete in this pass
    std::vector<float> send, recv;
    int64_t ticket = 0;  // of its reduction (Comm::finished)
  };
  std::vector<Bucket> buckets_;
  size_t next_ = 0;       // the next bucket to launch (all ranks launch in the same order)
  size_t collected_ = 0;  // sharded: buckets before it are added to the sums and freed
  bool reducing_ = false, fresh_ = true;
  std::vector<char> seen_;  // parameter complete in this pass
  std::vector<float> had_;
  // The sums, in one tensor whose views become the gradients (store_grads copies nothing).
  Tensor flat_;
  float* sums_ = nullptr;
  int64_t n_sums_ = 0;
};

}  // namespace anymal::train
