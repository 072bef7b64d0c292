#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/kernels.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"

using namespace anymal;

TEST(DType, F16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = f16_to_f32(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f))));
      continue;
    }
    EXPECT_EQ(f32_to_f16(f), h) << "f16 bits " << h;
  }
}

TEST(DType, F16RoundsToNearestEven) {
  EXPECT_EQ(f16_to_f32(f32_to_f16(1.0f + 1.0f / 2048)), 1.0f);  // tie -> even
  EXPECT_EQ(f16_to_f32(f32_to_f16(1.0f + 3.0f / 2048)), 1.0f + 2.0f / 1024);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);                              // overflow -> inf
  EXPECT_EQ(f16_to_f32(f32_to_f16(5.96e-8f)), 5.9604644775390625e-8f);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(2.0e-8f), 0);
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.0f)), 1.0f);
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f818000u)), 0x3f82);  // tie -> even (up)
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

TEST(DType, VectorConversionsMatchScalar) {
  std::vector<float> src(1000);
  for (size_t i = 0; i < src.size(); ++i) src[i] = std::sin(float(i)) * float(i);
  for (auto v : cpu::supported_variants()) {
    for (DType t : {DType::f16, DType::bf16}) {
      std::vector<uint16_t> half(src.size()), expect(src.size());
      std::vector<float> back(src.size());
      cpu::kernels_for(v).from_f32(t, src.data(), half.data(), int64_t(src.size()));
      cpu::kernels_for(v).to_f32(t, half.data(), back.data(), int64_t(src.size()));
      for (size_t i = 0; i < src.size(); ++i) {
        uint16_t e = t == DType::f16 ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
        ASSERT_EQ(half[i], e) << cpu::variant_name(v) << " " << dtype_name(t) << " at " << i;
        ASSERT_EQ(back[i], t == DType::f16 ? f16_to_f32(e) : bf16_to_f32(e));
      }
    }
  }
}

TEST(Shape, BroadcastsLikeNumpy) {
  EXPECT_EQ(broadcast_shapes(Shape{2, 1, 4}, Shape{3, 1}, "add"), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes(Shape{}, Shape{5}, "add"), (Shape{5}));
  try {
    broadcast_shapes(Shape{2, 3}, Shape{4}, "add");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_input);
    EXPECT_STREQ(e.what(), "add: shapes [2,3] and [4] cannot be broadcast");
  }
}

TEST(Shape, RejectsMoreThanFourDims) { EXPECT_THROW((Shape{1, 2, 3, 4, 5}), Error); }
