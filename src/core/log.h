// The logger: the project's one global. Levels, a single sink (stderr), thread-safe lines.
// log_info("loaded %s in %.1f ms", path, ms) — printf-style, one line per call.
#pragma once

namespace anymal {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();

void log_write(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) ::anymal::log_write(::anymal::LogLevel::debug, __VA_ARGS__)
#define log_info(...) ::anymal::log_write(::anymal::LogLevel::info, __VA_ARGS__)
#define log_warn(...) ::anymal::log_write(::anymal::LogLevel::warn, __VA_ARGS__)
#define log_error(...) ::anymal::log_write(::anymal::LogLevel::error, __VA_ARGS__)

}  // namespace anymal
