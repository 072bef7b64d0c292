// The small AnymalModel sizes the model tests share: a 2-block Llama LM (4 heads, 2 KV heads,
// ff twice the width) over a 32 px ViT with 8 px patches (16 image tokens). Tests change what
// they exercise (towers, projector, cross-attention) on top.
#pragma once

#include "models/anymal/anymal_config.h"

namespace anymal::testkit {

inline models::AnymalConfig tiny_anymal_config(int64_t vocab, int64_t dim = 32,
                                               int64_t vit_layers = 2) {
  models::AnymalConfig c;
  c.lm = {vocab, dim, 2, 4, 2, 2 * dim, 256};
  c.vit.image_size = 32;
  c.vit.patch = 8;
  c.vit.dim = 24;
  c.vit.n_layer = vit_layers;
  c.vit.n_head = 2;
  c.vit.ff = 48;
  return c;
}

}  // namespace anymal::testkit
