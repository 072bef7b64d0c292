#include "backend/cpu/packed_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace anymal::cpu {

namespace {
constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
}  // namespace

void PackedFree::operator()(uint8_t* p) const { std::free(p); }

PackedBuffer allocate_packed(size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p)
    throw_error(ErrorKind::io,
                "cannot allocate " + std::to_string(bytes) + " bytes for packed weights");
  // Only the whole 2 MiB pages inside the allocation: rounding each matrix up to one would make
  // its tail resident too.
  const uintptr_t lo = (uintptr_t(p) + kHugePage - 1) / kHugePage * kHugePage,
                  hi = (uintptr_t(p) + bytes) / kHugePage * kHugePage;
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // a hint only
  return PackedBuffer(static_cast<uint8_t*>(p));
}

}  // namespace anymal::cpu
