// parallelFor: split [0, n) into contiguous chunks over the hardware threads. Used for the
// data-parallel CPU reference kernels; chunks are deterministic so results never depend on timing.
#pragma once
#include <cstddef>
#include <functional>

namespace qviz::core {

// Number of worker threads parallelFor uses (hardware_concurrency, at least 1;
// QVIZ_THREADS overrides).
unsigned workerCount();

// Calls fn(begin, end) on disjoint ranges covering [0, n); ranges have at least minChunk items.
void parallelFor(std::size_t n, std::size_t minChunk,
                 const std::function<void(std::size_t, std::size_t)>& fn);

}  // namespace qviz::core
