// Memory for re-laid (packed) weight matrices: 64-byte aligned, with huge pages asked for where
// the buffer covers them. Decoding streams every packed weight once per token, and 4 KiB pages
// cost a TLB miss every 4 KiB of the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace anymal::cpu {

struct PackedFree {
  void operator()(uint8_t* p) const;
};
using PackedBuffer = std::unique_ptr<uint8_t[], PackedFree>;

// Throws ErrorKind::io when the memory cannot be had.
PackedBuffer allocate_packed(size_t bytes);

}  // namespace anymal::cpu
