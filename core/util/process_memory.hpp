// The process's own memory, as the soak reports it and the explorer manages it when idle.
#pragma once

namespace qviz::core {

struct ProcessMemory {
  double rssMiB = 0;        // resident set (/proc/self/statm); 0 where unknown
  double heapInUseMiB = 0;  // bytes malloc has handed out and not taken back (glibc mallinfo2)
  double heapFreeMiB = 0;   // bytes malloc holds free in its arenas, resident or not
};
ProcessMemory processMemory();
// The resident set alone: one small read, no walk over malloc's arenas (cheap enough per frame).
double residentMiB();

// Hands the allocator's free pages back to the system (glibc: malloc_trim(0), which also releases
// free pages in the middle of every arena). Many threads (the workers, llvmpipe's rasterizer
// threads) each get an arena, and a freed image or tensor leaves free pages in one of them that
// otherwise stay resident. Takes a few milliseconds; returns false where there is no such call.
bool releaseFreeMemory();

}  // namespace qviz::core
