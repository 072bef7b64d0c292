// Training FLOPs of one step, estimated from the matrix multiplies the way scaling-law work
// does (Kaplan et al. 2020): a linear with P weights applied to R rows costs 2·P·R in the
// forward pass, 2·P·R more for its input gradient when the gradient passes through it (it sits
// between a trainable weight and the loss), and 2·P·R more for its weight gradient when it
// trains. Rows are what the step really computes: the batch padded to its longest sequence
// for the language model, patches per image for the vision tower, window steps for the audio
// and IMU towers, input tokens for the keys/values of cross-attention blocks. Attention
// scores, norms and elementwise work are left out (small at these lengths); so is the
// projector's exact row count (its weights times the tower's rows: an upper bound for the
// Perceiver resampler, which reads them once into its fewer queries).
#pragma once

#include <vector>

#include "models/anymal/anymal_model.h"

namespace anymal::train {

// kind: "text", "clip" or "multimodal" (as the recipe's stages); trainable parameters are
// those with requires_grad, as the stage configured them.
double step_flops(const models::AnymalModel& m, const std::string& kind,
                  const std::vector<models::MultimodalExample>& batch);
// A clip stage's step: the tower of `modality` over n inputs (the text side is an embedding
// mean, no matmul).
double clip_step_flops(const models::AnymalModel& m, models::Modality modality, int64_t n);

}  // namespace anymal::train
