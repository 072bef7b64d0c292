// Row gather: table [V, D], ids i32 [...] -> [..., D]. Ids outside [0, V) are an error.
// The gradient (dense [V, D]) flows to the table, not to the ids.
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor embedding(const Tensor& table, const Tensor& ids);

}  // namespace anymal::ops
