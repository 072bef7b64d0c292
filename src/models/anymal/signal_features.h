// What the audio and IMU towers read, the same in training and inference: fixed windows.
// Audio: the 16 kHz clip cut or zero-padded to window_seconds (Whisper pads to 30 s the same
// way), then the 80-bin log-mel spectrogram, time first: [n, 100 * window_seconds, 80].
// Motion: the 50 Hz trace scaled per channel ((x - mean) / std, fixed statistics of the
// model: the absolute scale tells walking from running) and cut or padded with the mean:
// [n, 50 * window_seconds, 6].
#pragma once

#include <array>
#include <vector>

#include "core/tensor.h"
#include "formats/imu.h"

namespace anymal::models {

inline constexpr double kImuRateHz = 50.0;
using ImuStats = std::array<float, 6>;
inline constexpr ImuStats kImuDefaultMean{0, 0, 0, 0, 0, 0};
inline constexpr ImuStats kImuDefaultStd{9.81f, 9.81f, 9.81f, 1, 1, 1};

int64_t audio_frames(double window_seconds);  // log-mel frames per window
int64_t imu_steps(double window_seconds);     // IMU samples per window

Tensor audio_features(const std::vector<const std::vector<float>*>& clips, double window_seconds);
// Traces must be at kImuRateHz (read_imu's default); another rate is an invalid_input error.
Tensor imu_features(const std::vector<const ImuTrace*>& traces, double window_seconds,
                    const ImuStats& mean, const ImuStats& std);

}  // namespace anymal::models
