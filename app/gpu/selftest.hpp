// The GPU self-test behind `qviz selftest` (and reused by tests): every kernel against the CPU
// function it must equal, on built-in images with awkward shapes (257x131, 1x1, 16-bit, RGBA,
// gray), on every path the context offers. One table of cases; a new kernel (e.g. the tensor
// formats) adds one SelftestCase. Does not print: the CLI formats the rows.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/kernel_util.hpp"

namespace qviz::gpu {

struct SelftestRow {
  std::string kernel;     // "uniform quantizer"
  std::string reference;  // the CPU function, e.g. "core::quantizeUniform"
  std::string path;       // "compute" / "fragment"
  std::string input;      // "257x131 RGB 8-bit"
  int cases = 0;          // settings tried on this input
  bool pass = false;
  std::string detail;     // first mismatch or error; empty when it passed
  bool skipped = false;   // not run on this context (counts as passed; detail says why)
};

struct SelftestReport {
  std::string renderer;
  std::vector<SelftestRow> rows;
  int failures() const;
  bool allPassed() const { return !rows.empty() && failures() == 0; }
};

// One kernel's entry: runs its comparisons on `path` and appends rows.
struct SelftestCase {
  const char* kernel;
  const char* reference;
  bool fragmentPath;  // also runs on the fragment path
  void (*run)(GpuEnv env, GpuPath path, std::vector<SelftestRow>& rows);
};
const std::vector<SelftestCase>& selftestCases();

// Deterministic test pictures: gradients plus hashed noise over the full sample range (0 and vmax
// included), so every rounding boundary of every depth is crossed.
core::Image selftestImage(int width, int height, int channels, core::SampleType type, std::uint32_t seed);
// The built-in inputs: 257x131 RGB, 1x1 RGBA, 67x45 RGBA 16-bit, 33x17 gray, 19x23 gray+alpha 16-bit.
std::vector<core::Image> selftestImages();
std::string describeImage(const core::Image& img);  // "257x131 RGB 8-bit"

// Runs every case on every path the context supports (the fragment path always; compute when
// available). Rows of a failed path say why.
SelftestReport runSelftest(GpuEnv env);

}  // namespace qviz::gpu
