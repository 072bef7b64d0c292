#include "core/error.h"

namespace anymal {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_input:
      return "invalid input";
    case ErrorKind::unsupported:
      return "unsupported";
    case ErrorKind::io:
      return "io";
    case ErrorKind::internal:
      return "internal";
  }
  return "unknown";
}

void throw_error(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

void throw_assert(const char* expr, const char* file, int line) {
  throw Error(ErrorKind::internal, std::string("internal error: ") + expr + " failed at " + file +
                                       ":" + std::to_string(line));
}

}  // namespace anymal
