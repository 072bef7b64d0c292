#include "data/speech.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "formats/audio.h"

extern char** environ;

namespace anymal::data {

namespace {

// Runs argv[0] (looked up on PATH) and returns what it writes to stdout.
std::vector<uint8_t> run_capture(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_error(ErrorKind::io, "pipe: cannot run " + args[0]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw_error(ErrorKind::io,
                "cannot run " + args[0] + " (install Debian's espeak-ng: scripts/install-deps.sh)");
  }
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw_error(ErrorKind::io, args[0] + " failed (exit status " +
                                   std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                                   ")");
  return out;
}

}  // namespace

Voice pick_voice(uint64_t seed) {
  static const char* kAccents[] = {"en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp"};
  static const char* kVariants[] = {"m1", "m3", "m5", "f1", "f2", "f3", "f4", "m7"};
  Rng rng(seed * 0x9E3779B97F4A7C15ull + 17);
  Voice v;
  v.name = std::string(kAccents[rng.below(5)]) + "+" + kVariants[rng.below(8)];
  v.words_per_minute = 130 + int(rng.below(61));  // 130..190
  v.pitch = 30 + int(rng.below(41));              // 30..70
  return v;
}

std::vector<float> speak(const std::string& text, const Voice& voice) {
  const std::vector<uint8_t> wav =
      run_capture({"espeak-ng", "-v", voice.name, "-s", std::to_string(voice.words_per_minute),
                   "-p", std::to_string(voice.pitch), "--stdout", text});
  return decode_audio(wav, "espeak-ng output").samples;
}

std::vector<float> spoken_question(const std::string& text, uint64_t seed) {
  std::vector<float> s = speak(text, pick_voice(seed));
  Rng rng(seed * 0xD1B54A32D192ED03ull + 5);
  double power = 0;
  for (float x : s) power += double(x) * x;
  power /= double(std::max<size_t>(s.size(), 1));
  const double snr_db = 10.0 + 20.0 * rng.uniform();
  const double noise_rms = std::sqrt(power / std::pow(10.0, snr_db / 10.0));
  // Brown-ish room noise: white noise through a one-pole low-pass, scaled to the SNR.
  float lp = 0;
  const float a = 0.9f, gain = float(noise_rms / std::sqrt((1 - a) / (1 + a)));
  float peak = 0;
  for (float& x : s) {
    lp = a * lp + (1 - a) * float(rng.normal());
    x += gain * lp;
    peak = std::max(peak, std::abs(x));
  }
  if (peak > 0.9f)
    for (float& x : s) x *= 0.9f / peak;
  return s;
}

}  // namespace anymal::data
