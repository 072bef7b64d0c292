// libFuzzer target for the image decoders: any bytes either decode to a consistent RGB8 image
// or throw anymal::Error (never of kind internal, which would be a broken invariant).
// Build and run with `fuzz/run.sh SECONDS image`; seeds come from image_fuzz_seeds.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "formats/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const anymal::Image im = anymal::decode_image({data, size}, "fuzz.img");
    if (im.width <= 0 || im.height <= 0 ||
        im.width * int64_t(im.height) > anymal::kMaxImagePixels ||
        im.rgb.size() != size_t(im.width) * size_t(im.height) * 3)
      __builtin_trap();
    // What a caller does next: preprocessing reads every pixel of what decoded.
    if (im.rgb.size() <= (size_t(1) << 20)) {
      const float mean[3] = {0.5f, 0.5f, 0.5f}, std[3] = {0.25f, 0.25f, 0.25f};
      volatile float sink = anymal::preprocess_llava(im, 14, mean, std)[0];
      (void)sink;
    }
  } catch (const anymal::Error& e) {
    if (e.kind() == anymal::ErrorKind::internal) __builtin_trap();
  }
  return 0;
}
