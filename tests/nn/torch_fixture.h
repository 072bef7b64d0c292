// Reads the fixture files written by scripts/make_torch_fixtures.py (format in its docstring).
#pragma once

#include <map>
#include <string>

#include "core/tensor.h"

namespace anymal::testkit {

using Fixture = std::map<std::string, Tensor>;

Fixture load_torch_fixture(const std::string& name);  // tests/fixtures/torch/NAME.bin
// max |got - ref| / max(max |ref|, floor)
float relative_error(const Tensor& got, const Tensor& ref, float floor = 1e-2f);

}  // namespace anymal::testkit
