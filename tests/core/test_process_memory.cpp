// processMemory() and releaseFreeMemory(): what the soak reports and the explorer does when idle.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "util/process_memory.hpp"

using namespace qviz::core;

TEST_CASE("process memory: freed pages in the middle of the heap stay resident until they are handed back") {
  // Earlier tests in the same process may have left freed pages resident; hand them back first, so
  // that the new blocks (which may reuse those pages) show up as resident growth.
  releaseFreeMemory();
  const ProcessMemory before = processMemory();
  REQUIRE(before.rssMiB > 0);
  // 64 MiB in 4000-byte blocks (from the heap, not mmap), then one block after them that stays,
  // so that freeing the others leaves a hole the allocator cannot give back by shrinking its top.
  std::vector<void*> blocks(16384);
  for (void*& b : blocks) {
    b = std::malloc(4000);
    REQUIRE(b);
    std::memset(b, 1, 4000);
  }
  void* pin = std::malloc(4000);
  std::memset(pin, 2, 4000);
  const ProcessMemory full = processMemory();
  CHECK(full.rssMiB - before.rssMiB >= 60.0);
#if !defined(__SANITIZE_ADDRESS__)  // (ASan has its own allocator: mallinfo2 and trimming do not see it)
  CHECK(full.heapInUseMiB - before.heapInUseMiB >= 62.5);
#endif
  for (void* b : blocks) std::free(b);
#if !defined(__SANITIZE_ADDRESS__)
  const ProcessMemory freed = processMemory();
  CHECK(freed.heapInUseMiB - before.heapInUseMiB < 1.0);
  CHECK(freed.heapFreeMiB >= 60.0);
  CHECK(freed.rssMiB - before.rssMiB >= 60.0);  // free, but still resident
  CHECK(releaseFreeMemory());
  const ProcessMemory after = processMemory();
  CHECK(after.rssMiB - before.rssMiB < 8.0);  // handed back
#endif
  std::free(pin);
}
