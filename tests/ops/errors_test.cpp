// Bad input throws anymal::Error (kind invalid_input) naming the op and the shapes.
#include <gtest/gtest.h>

#include "ops/ops.h"

using namespace anymal;
using namespace anymal::ops;

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}
Tensor z(std::initializer_list<int64_t> d) { return Tensor::zeros(Shape(d)); }
}  // namespace

TEST(OpErrors, NameTheOpAndShapes) {
  EXPECT_EQ(message_of([] {
              matmul(z({2, 3}), z({4, 5}));
            }),
            "matmul: [2,3] x [4,5]: inner dimensions 3 and 4 differ");
  EXPECT_EQ(message_of([] {
              matmul(z({2, 2, 3}), z({3, 3, 4}));
            }),
            "matmul: [2,2,3] x [3,3,4]: batch dimensions differ");
  EXPECT_EQ(message_of([] {
              add(z({2, 3}), z({4}));
            }),
            "add: shapes [2,3] and [4] cannot be broadcast");
  EXPECT_EQ(message_of([] {
              embedding(z({10, 4}), Tensor::from_ints({1, 10}, Shape{2}));
            }),
            "embedding: id 10 at position 1 is out of range [0, 10)");
  EXPECT_EQ(message_of([] {
              embedding(z({10, 4}), Tensor::from_ints({-1}, Shape{1}));
            }),
            "embedding: id -1 at position 0 is out of range [0, 10)");
  EXPECT_EQ(message_of([] {
              cross_entropy(z({2, 5}), Tensor::from_ints({1, 7}, Shape{2}));
            }),
            "cross_entropy: target 7 at row 1 is out of range [0, 5)");
  EXPECT_EQ(message_of([] {
              cross_entropy(z({2, 5}), Tensor::from_ints({1, 2, 3}, Shape{3}));
            }),
            "cross_entropy: logits [2,5] has 2 rows but targets [3] has 3");
  EXPECT_EQ(message_of([] {
              rms_norm(z({2, 8}), z({4}), 1e-5f);
            }),
            "rms_norm: weight has shape [4], expected [8]");
  EXPECT_EQ(message_of([] {
              attention(z({1, 2, 3, 4}), z({1, 2, 2, 4}), z({1, 2, 2, 4}), false);
            }),
            "attention: 3 query heads are not a multiple of 2 kv heads");
  EXPECT_EQ(message_of([] {
              reshape(z({2, 3}), {4, -1});
            }),
            "reshape: cannot view [2,3] (6 elements) as [4,1]");
  EXPECT_EQ(message_of([] { add(Tensor::from_ints({1}, Shape{1}), z({1})); }),
            "add: a must be a float tensor, got i32[1]");
  EXPECT_EQ(message_of([] {
              patchify(z({1, 3, 10, 8}), 4);
            }),
            "patchify: image [1,3,10,8] is not a whole number of 4x4 patches");
  EXPECT_EQ(message_of([] { slice(z({4}), 0, 2, 9); }),
            "slice: range [2, 9) out of bounds for axis 0 of [4]");
  EXPECT_EQ(message_of([] {
              concat({z({2, 3}), z({3, 3})}, 1);
            }),
            "concat: shapes [2,3] and [3,3] differ outside axis 1");
  EXPECT_EQ(message_of([] {
              split(z({2, 5}), {2, 2}, 1);
            }),
            "split: sizes add up to 4 but axis 1 of [2,5] has 5");
  EXPECT_EQ(message_of([] {
              rope(z({1, 2, 1, 4}), Tensor::from_ints({0}, Shape{1}), 1e4f, RopeMode::norm);
            }),
            "rope: positions must be i32 [2], got i32[1]");
  EXPECT_EQ(message_of([] {
              swiglu(z({2, 3}), z({3, 2}));
            }),
            "swiglu: gate and up differ: [2,3] x [3,2]");
}
