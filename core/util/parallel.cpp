// parallelFor over std::thread: the calling thread takes the first chunk itself.
#include "util/parallel.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace qviz::core {

unsigned workerCount() {
  static const unsigned count = [] {
    if (const char* env = std::getenv("QVIZ_THREADS")) {
      const long v = std::strtol(env, nullptr, 10);
      if (v >= 1 && v <= 256) return static_cast<unsigned>(v);
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }();
  return count;
}

void parallelFor(std::size_t n, std::size_t minChunk,
                 const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  const std::size_t maxParts = std::max<std::size_t>(1, n / std::max<std::size_t>(1, minChunk));
  const std::size_t parts = std::min<std::size_t>(workerCount(), maxParts);
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  const std::size_t chunk = (n + parts - 1) / parts;
  std::vector<std::thread> threads;
  threads.reserve(parts - 1);
  for (std::size_t p = 1; p < parts; ++p) {
    const std::size_t b = p * chunk, e = std::min(n, b + chunk);
    if (b < e) threads.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(0, std::min(n, chunk));
  for (auto& t : threads) t.join();
}

}  // namespace qviz::core
