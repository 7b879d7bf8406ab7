// Every format of the table (each block size where a format has a choice, with and without double
// quantization where it applies) on one tensor, at the bits per weight it really stores, constants
// included: the equal-bits comparison of the Weights panel and `qviz quantize-tensor --format all`.
#pragma once
#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"

namespace qviz::core {

struct SweepRow {
  BlockwiseSettings settings;   // format, blocksize (the format's own where fixed), double quantization
  std::string label;            // "nf4 bs64 dq", "q4_k", "mxfp4"
  bool ok = false;              // false: the format does not apply to this tensor (see error)
  std::string error;            // why not (a length that is not a multiple of 256, ...)
  double bitsPerWeight = 0;     // bitsPerParam(settings, n): every stored bit over n
  double rmse = 0, sqnrDb = 0, maxAbsError = 0;
  bool pareto = false;          // ok, and no other ok row has fewer or equal bits and a higher or equal
                                // SQNR, better in one of the two
};

struct SweepOptions {
  std::vector<int> blocksizes = {32, 64, 128, 256};  // for formats with a choice of blocksize
  bool doubleQuant = true;                           // also each double-quantizable format with it
  std::size_t rowLength = 0;                         // MX/NVFP4: the last axis (0: one row)
};

// Rows in table order (format, then blocksize, then double quantization), each quantized and
// dequantized on the CPU, with the Pareto front marked. `cancel` (may be null) stops early: the
// rows done so far are returned.
std::vector<SweepRow> sweepFormats(const float* x, std::size_t n, const SweepOptions& options,
                                   const std::atomic<bool>* cancel = nullptr);
// Marks SweepRow::pareto over the rows that are ok (lower bits and higher SQNR win).
void markPareto(std::vector<SweepRow>& rows);

}  // namespace qviz::core
