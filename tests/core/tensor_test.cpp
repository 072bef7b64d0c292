#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/rng.h"
#include "core/tensor.h"
#include "ops/view.h"

using namespace anymal;

TEST(Tensor, CreationAndReadBack) {
  Tensor t = Tensor::from_floats({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.to_floats(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor h = Tensor::from_floats({1.5f, -2.25f}, Shape{2}, DType::bf16);
  EXPECT_EQ(h.to_floats(), (std::vector<float>{1.5f, -2.25f}));
  EXPECT_THROW(Tensor::from_floats({1, 2}, Shape{3}), Error);
  EXPECT_THROW(t.item(), Error);
  EXPECT_THROW(t.data<int32_t>(), Error);
}

TEST(Tensor, ViewsShareStorageWithoutCopies) {
  Tensor t = Tensor::from_floats({0, 1, 2, 3, 4, 5}, Shape{2, 3});
  Tensor tr = ops::transpose(t, 0, 1);
  EXPECT_EQ(tr.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tr.is_contiguous());
  EXPECT_EQ(tr.raw(), t.raw());
  EXPECT_EQ(tr.to_floats(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor sl = ops::slice(t, 1, 1, 3);
  EXPECT_EQ(sl.to_floats(), (std::vector<float>{1, 2, 4, 5}));
  Tensor r = ops::reshape(t, {3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.raw(), t.raw());
  Tensor c = ops::contiguous(tr);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_floats(), tr.to_floats());
  Tensor p = ops::permute(Tensor::zeros(Shape{2, 3, 4, 5}), {3, 1, 0, 2});
  EXPECT_EQ(p.shape(), (Shape{5, 3, 2, 4}));
  Tensor e = ops::expand(Tensor::from_floats({1, 2}, Shape{2, 1}), Shape{3, 2, 4});
  EXPECT_EQ(e.numel(), 24);
  EXPECT_EQ(e.to_floats()[5], 2.0f);
}

TEST(Tensor, ReferenceCountedStorageOutlivesTheOriginal) {
  Tensor view;
  {
    Tensor t = Tensor::from_floats({7, 8, 9}, Shape{3});
    view = ops::slice(t, 0, 1, 3);
  }
  EXPECT_EQ(view.to_floats(), (std::vector<float>{8, 9}));
}

TEST(Tensor, PointsIntoAMappedFile) {
  char path[] = "/tmp/anymal_mmap_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::vector<float> data{0, 1, 2, 3, 4, 5, 6, 7};
  ASSERT_EQ(write(fd, data.data(), data.size() * 4), ssize_t(data.size() * 4));
  close(fd);
  auto file = MappedFile::open(path);
  Tensor t = Tensor::from_mapped(file, 8, Shape{2, 3}, DType::f32);
  EXPECT_EQ(t.to_floats(), (std::vector<float>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(static_cast<const void*>(t.data<float>()), static_cast<const void*>(file->data() + 8));
  EXPECT_THROW(t.mutable_data<float>(), Error);
  try {
    Tensor::from_mapped(file, 16, Shape{10}, DType::f32);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("past the end"), std::string::npos);
  }
  std::remove(path);
  EXPECT_THROW(MappedFile::open("/nonexistent/file.gguf"), Error);
}

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(Rng(42).next_u64(), c.next_u64());
  Rng r(1);
  double sum = 0, sq = 0;
  for (int i = 0; i < 20000; ++i) {
    float v = r.normal();
    sum += v;
    sq += double(v) * v;
  }
  EXPECT_NEAR(sum / 20000, 0.0, 0.03);
  EXPECT_NEAR(sq / 20000, 1.0, 0.05);
}
