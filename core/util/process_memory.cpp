// /proc/self/statm, mallinfo2 and malloc_trim where the C library has them.
#include "util/process_memory.hpp"

#include <unistd.h>

#include <cstdio>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace qviz::core {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
}

double residentMiB() {
  double mib = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    long pages = 0, resident = 0;
    if (std::fscanf(f, "%ld %ld", &pages, &resident) == 2) mib = double(resident) * double(::sysconf(_SC_PAGESIZE)) / kMiB;
    std::fclose(f);
  }
  return mib;
}

ProcessMemory processMemory() {
  ProcessMemory m;
  m.rssMiB = residentMiB();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  const struct mallinfo2 mi = ::mallinfo2();
  m.heapInUseMiB = double(mi.uordblks + mi.hblkhd) / kMiB;
  m.heapFreeMiB = double(mi.fordblks) / kMiB;
#endif
  return m;
}

bool releaseFreeMemory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
  return true;
#else
  return false;
#endif
}

}  // namespace qviz::core
