// anymal::Error — the one exception type for anything a user or a file can cause.
// Thrown at the point of detection, with a message naming the op/tensor/file involved.
// Programmer invariants use ANYMAL_ASSERT (which also throws, kind internal), never abort().
#pragma once

#include <stdexcept>
#include <string>

namespace anymal {

enum class ErrorKind { invalid_input, unsupported, io, internal };

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] void throw_error(ErrorKind kind, const std::string& message);
[[noreturn]] void throw_assert(const char* expr, const char* file, int line);

}  // namespace anymal

#define ANYMAL_ASSERT(cond) ((cond) ? (void)0 : ::anymal::throw_assert(#cond, __FILE__, __LINE__))
