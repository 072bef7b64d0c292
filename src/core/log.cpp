#include "core/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace anymal {
namespace {

struct Logger {
  std::atomic<LogLevel> level{LogLevel::info};
  std::mutex mutex;
};

Logger& logger() {
  static Logger instance;  // the one global the style allows
  return instance;
}

const char* level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::off:
      break;
  }
  return "";
}

}  // namespace

void set_log_level(LogLevel level) { logger().level = level; }
LogLevel log_level() { return logger().level; }

void log_write(LogLevel level, const char* fmt, ...) {
  Logger& l = logger();
  if (level < l.level.load()) return;
  char buf[2048];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  std::lock_guard<std::mutex> lock(l.mutex);
  std::fprintf(stderr, "[%s] %s\n", level_tag(level), buf);
}

}  // namespace anymal
