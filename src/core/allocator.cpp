#include "core/allocator.h"

#include <malloc.h>

namespace anymal {

void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace anymal
