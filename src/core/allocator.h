// Process-wide malloc tuning for a tensor engine, applied once at the start of each program.
#pragma once

namespace anymal {

// glibc serves blocks over 32 MiB (less before its threshold adapts) with a fresh mmap and
// unmaps them on free, so every large activation, staging or batch buffer is faulted in and
// zeroed by the kernel page by page on each use: a ViT-B batch of eight 336² images spent a
// third of its time in page faults. Keeping blocks up to 256 MiB in the heap, and up to 512 MiB
// of freed heap before trimming, reuses them instead. Weights stay in their file mappings.
void tune_allocator();

}  // namespace anymal
