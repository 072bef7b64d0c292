// libFuzzer target for the audio and motion readers: any bytes either decode (libsndfile
// through the in-memory reader, clipped to 2 s) or throw anymal::Error, and likewise parse as
// an IMU CSV or throw. Build and run with fuzz/run.sh 600 audio_imu.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/error.h"
#include "formats/audio.h"
#include "formats/imu.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t sink = 0;
  try {
    anymal::Audio a = anymal::decode_audio(std::span<const uint8_t>(data, size), "fuzz", 2.0);
    sink += a.samples.size();
  } catch (const anymal::Error&) {
  }
  try {
    anymal::ImuOptions opt;
    opt.max_rows = 10000;
    anymal::ImuTrace t =
        anymal::read_imu(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", opt);
    anymal::normalize_imu(t);
    sink += size_t(t.n);
  } catch (const anymal::Error&) {
  }
  (void)sink;
  return 0;
}
