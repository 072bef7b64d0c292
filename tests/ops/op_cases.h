// The table of op cases shared by the op-consistency test (every case × kernel variant × dtype
// against the reference kernels) and the finite-difference gradient check. A new op or kernel
// adds a case here.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace anymal::testkit {

struct OpCase {
  std::string name;
  std::vector<Shape> inputs;  // random float inputs, all differentiated
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  float tol_f32 = 1e-5f;   // max |variant - reference| / max |reference|, f32 inputs
  float tol_16 = 1.6e-2f;  // same for f16/bf16 inputs (outputs round to 16 bits)
};

const std::vector<OpCase>& op_cases();

// GoogleTest prints parameters with this (instead of a byte dump).
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

}  // namespace anymal::testkit
