// `qviz --soak SECONDS`: drives the explorer offscreen (headless EGL, no window) with random actions
// for a while: opens good and bad files, moves every control, switches panels, breaks and fixes
// shaders (in a private copy of the shader tree), starts and cancels training, resizes the
// framebuffer. Reports the actions done, GL errors and memory (RSS) at start, after warm-up and
// at the end; fails when a GL error happened or memory grew past the bound after warm-up.
#pragma once
#include <cstdint>
#include <string>

namespace qviz::drive {

struct SoakOptions {
  double seconds = 60;
  std::uint32_t seed = 1;
  double warmupSeconds = 0;   // 0: a fifth of the run, at most 60 s
  double growthBoundMiB = 64; // allowed rise of the highest quiet-point RSS after the warm-up over the highest during it
  std::string json;           // write the report here too
};

// Returns the process exit code: 0 clean, 1 GL errors or memory growth, 2 could not start.
int runSoak(const SoakOptions& options);

}  // namespace qviz::drive
