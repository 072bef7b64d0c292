#include "torch_fixture.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace anymal::testkit {

Fixture load_torch_fixture(const std::string& name) {
  std::string path = std::string(ANYMAL_TEST_FIXTURES) + "/torch/" + name + ".bin";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorKind::io, "cannot open " + path);
  auto read = [&](void* dst, size_t n) {
    if (!in.read(static_cast<char*>(dst), std::streamsize(n)))
      throw_error(ErrorKind::io, path + ": truncated");
  };
  char magic[8];
  read(magic, 8);
  if (std::memcmp(magic, "ANYFX1\0\0", 8) != 0) throw_error(ErrorKind::io, path + ": bad magic");
  uint32_t count;
  read(&count, 4);
  Fixture out;
  for (uint32_t t = 0; t < count; ++t) {
    uint32_t len, ndim;
    read(&len, 4);
    std::string tname(len, '\0');
    read(tname.data(), len);
    read(&ndim, 4);
    Shape shape;
    for (uint32_t d = 0; d < ndim; ++d) {
      int64_t v;
      read(&v, 8);
      shape.push_back(v);
    }
    Tensor x = Tensor::empty(shape);
    read(x.mutable_data<float>(), size_t(x.numel()) * 4);
    out[tname] = x;
  }
  return out;
}

float relative_error(const Tensor& got, const Tensor& ref, float floor) {
  std::vector<float> g = got.to_floats(), r = ref.to_floats();
  if (g.size() != r.size()) return INFINITY;
  float scale = floor, err = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    scale = std::max(scale, std::abs(r[i]));
    err = std::max(err, std::abs(g[i] - r[i]));
  }
  return err / scale;
}

}  // namespace anymal::testkit
