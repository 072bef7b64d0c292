// Motion in: IMU traces as CSV with a header naming t (seconds), ax, ay, az (accelerometer) and
// gx, gy, gz (gyroscope), in any order, other columns ignored; resampled to a fixed rate by
// linear interpolation and normalized per channel.
//
// Every value must be a finite number and t strictly increasing; at most max_rows rows (counted
// before anything is parsed) and max_seconds of motion (longer traces keep their first
// max_seconds, and say so). A violation throws Error(invalid_input) naming the row and column.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anymal {

inline constexpr int kImuChannels = 6;  // ax, ay, az, gx, gy, gz

struct ImuOptions {
  double rate_hz = 50.0;  // the fixed rate traces are resampled to
  double max_seconds = 60.0;
  int64_t max_rows = 1'000'000;
};

struct ImuTrace {
  double rate_hz = 0;
  int64_t n = 0;            // samples
  std::vector<float> data;  // [n, kImuChannels] row-major
  bool clipped = false;     // longer than max_seconds
};

// The CSV as it is (rows at their own times): t [rows], values [rows, 6].
struct ImuCsv {
  std::vector<double> t;
  std::vector<float> values;
};
ImuCsv parse_imu_csv(std::string_view text, std::string_view name_for_errors,
                     const ImuOptions& options = {});

// Parses, resamples onto t0, t0 + 1/rate, ... (at least 2 rows needed) and clips.
ImuTrace read_imu(std::string_view csv_text, std::string_view name_for_errors,
                  const ImuOptions& options = {});
ImuTrace load_imu(const std::string& path, const ImuOptions& options = {});

// Each channel to zero mean and unit variance over the trace (a flat channel stays zero).
void normalize_imu(ImuTrace& trace);

}  // namespace anymal
