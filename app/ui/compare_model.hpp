// The GPU vs CPU panel's data: the CPU reference of the GPU's current result, run on a worker, and
// the two compared sample by sample. No ImGui or GL here.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "image/image.hpp"
#include "ui/texture.hpp"

namespace qviz::ui {

// GPU vs CPU: the same settings on both, timings, mismatches and a difference picture.
struct CompareResult {
  std::uint64_t generation = 0;
  double cpuMs = 0;
  std::uint64_t mismatches = 0;  // samples that differ
  std::uint64_t samples = 0;
  std::string firstMismatch;     // "(x, y) channel c: GPU a, CPU b"
  core::Image diff;              // RGBA8: matching pixels dimmed, mismatching ones red
  std::string error;
};
struct CompareMailbox {
  std::mutex mutex;
  std::optional<CompareResult> result;
};
struct CompareView {
  std::uint64_t generation = 0;  // of the quantized view it compares
  bool pending = false;
  double gpuMs = 0;
  std::string gpuPath;
  std::optional<CompareResult> result;
  DisplayTexture diff;
};

struct AppState;
// Takes a finished comparison; while the compare panel is open and the GPU made a new view,
// starts one for it. Main thread.
void updateCompareView(AppState& s);

}  // namespace qviz::ui
