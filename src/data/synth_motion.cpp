#include "data/synth_motion.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/rng.h"

namespace anymal::data {

namespace {

constexpr double kTwoPi = 2.0 * M_PI, kG = 9.81;
using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;

double between(Rng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

// A rotation by small random angles about each axis: how the glasses sit on this wearer.
Mat3 random_orientation(Rng& rng) {
  const double a = between(rng, -0.35, 0.35), b = between(rng, -0.35, 0.35),
               c = between(rng, -M_PI, M_PI);
  const Mat3 rx = {{{1, 0, 0}, {0, std::cos(a), -std::sin(a)}, {0, std::sin(a), std::cos(a)}}};
  const Mat3 ry = {{{std::cos(b), 0, std::sin(b)}, {0, 1, 0}, {-std::sin(b), 0, std::cos(b)}}};
  const Mat3 rz = {{{std::cos(c), -std::sin(c), 0}, {std::sin(c), std::cos(c), 0}, {0, 0, 1}}};
  auto mul = [](const Mat3& p, const Mat3& q) {
    Mat3 r{};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 3; ++k) r[i][j] += p[i][k] * q[k][j];
    return r;
  };
  return mul(rz, mul(ry, rx));
}

Vec3 rotate(const Mat3& m, const Vec3& v) {
  return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
          m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
          m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}

// Body-frame acceleration (gravity included) and angular rate at time t for each class, with
// the per-trace parameters drawn once. x forward, y left, z up.
struct Motion {
  int cls;
  double f, amp, phase, start, len;
  void at(double t, Vec3& acc, Vec3& gyro) const {
    acc = {0, 0, kG};
    gyro = {0, 0, 0};
    const double w = kTwoPi * f * t + phase;
    switch (cls) {
      case 0:  // walk: ~2 Hz vertical bounce, forward surge, a little sway and head roll
      case 1:  // run: the same, faster and much stronger
      case 3:  // stairs: slower steps, a stronger up-thrust per step, pitched forward
        acc[2] += amp * std::sin(w);
        acc[0] += 0.5 * amp * std::sin(w + 0.8) + (cls == 3 ? 0.12 * kG : 0);
        acc[1] += 0.25 * amp * std::sin(0.5 * w);
        gyro[0] += 0.05 * amp * std::sin(0.5 * w);
        gyro[1] += 0.03 * amp * std::sin(w) + (cls == 3 ? 0.15 * std::sin(0.5 * w) : 0);
        break;
      case 2:  // sit: still, a slow sway of breathing
        acc[0] += 0.05 * std::sin(kTwoPi * 0.25 * t + phase);
        gyro[1] += 0.01 * std::sin(kTwoPi * 0.25 * t);
        break;
      case 4:    // nod (yes): pitch oscillation, for a moment
      case 5: {  // shake (no): yaw oscillation
        if (t < start || t > start + len) break;
        const double env = std::sin(M_PI * (t - start) / len);
        const double rate = amp * env * std::cos(kTwoPi * f * (t - start));
        (cls == 4 ? gyro[1] : gyro[2]) = rate;
        if (cls == 4)
          acc[0] += 0.3 * amp * env * std::sin(kTwoPi * f * (t - start));
        else
          acc[1] += 0.3 * amp * env * std::sin(kTwoPi * f * (t - start));
        break;
      }
    }
  }
};

}  // namespace

const std::vector<std::string>& motion_classes() {
  static const std::vector<std::string> k = {"walk", "run", "sit", "stairs", "nod", "shake"};
  return k;
}

MotionTrace synth_motion(const std::string& cls, uint64_t seed, const MotionOptions& o) {
  const auto& classes = motion_classes();
  const auto it = std::find(classes.begin(), classes.end(), cls);
  if (it == classes.end())
    throw_error(ErrorKind::invalid_input, "unknown motion class '" + cls + "'");
  const int c = int(it - classes.begin());
  Rng rng(seed * 0xD1B54A32D192ED03ull + uint64_t(c) + 7);
  Motion m{c, 0, 0, between(rng, 0, kTwoPi), 0, 0};
  switch (c) {
    case 0:
      m.f = between(rng, 1.6, 2.2), m.amp = between(rng, 1.0, 2.5);
      break;
    case 1:
      m.f = between(rng, 2.5, 3.3), m.amp = between(rng, 5.0, 9.0);
      break;
    case 2:
      break;
    case 3:
      m.f = between(rng, 1.2, 1.6), m.amp = between(rng, 2.0, 3.5);
      break;
    default:
      m.f = c == 4 ? between(rng, 1.5, 2.5) : between(rng, 2.0, 3.2);
      m.amp = between(rng, 1.5, 3.0);
      m.len = between(rng, 1.0, 2.0);
      m.start = between(rng, 0.2, std::max(0.3, o.seconds - m.len - 0.2));
      break;
  }
  const Mat3 rot = random_orientation(rng);
  const Vec3 acc_bias = {rng.normal(0, 0.05f), rng.normal(0, 0.05f), rng.normal(0, 0.05f)};
  const Vec3 gyro_bias = {rng.normal(0, 0.01f), rng.normal(0, 0.01f), rng.normal(0, 0.01f)};
  MotionTrace out;
  const int64_t n = int64_t(o.seconds * o.rate_hz);
  for (int64_t i = 0; i < n; ++i) {
    // Device clocks jitter a little around the nominal rate.
    const double t = (double(i) + between(rng, -0.2, 0.2)) / o.rate_hz;
    Vec3 acc, gyro;
    m.at(t, acc, gyro);
    acc = rotate(rot, acc);
    gyro = rotate(rot, gyro);
    out.t.push_back(t);
    for (int k = 0; k < 3; ++k)
      out.values.push_back(float(acc[k] + acc_bias[k] + rng.normal(0, 0.08f)));
    for (int k = 0; k < 3; ++k)
      out.values.push_back(float(gyro[k] + gyro_bias[k] + rng.normal(0, 0.02f)));
  }
  return out;
}

std::string motion_csv(const MotionTrace& m) {
  std::string out = "t,ax,ay,az,gx,gy,gz\n";
  char line[160];
  for (size_t i = 0; i < m.t.size(); ++i) {
    const float* v = m.values.data() + i * 6;
    std::snprintf(line, sizeof line, "%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", m.t[i], v[0], v[1],
                  v[2], v[3], v[4], v[5]);
    out += line;
  }
  return out;
}

}  // namespace anymal::data
