// Motion of the synthetic glasses world: IMU traces (accelerometer m/s², gyroscope rad/s) of
// the wearer's activities and head gestures, as the glasses' sensor would record them: gravity
// and each motion's rhythm, turned by a random device orientation, with sensor noise and bias.
// A trace is a pure function of (class, seed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace anymal::data {

// "walk", "run", "sit", "stairs", "nod", "shake": activities and the yes/no head gestures.
const std::vector<std::string>& motion_classes();

struct MotionOptions {
  double seconds = 4.0;
  double rate_hz = 50.0;
};

struct MotionTrace {
  std::vector<double> t;      // seconds, strictly increasing, slightly jittered like a device
  std::vector<float> values;  // [t.size(), 6]: ax, ay, az, gx, gy, gz
};

// Throws invalid_input for an unknown class.
MotionTrace synth_motion(const std::string& cls, uint64_t seed, const MotionOptions& o = {});
// The trace as the CSV formats/imu reads (header t,ax,ay,az,gx,gy,gz).
std::string motion_csv(const MotionTrace& m);

}  // namespace anymal::data
