// The image panel's data: the quantized view of the document (the quantizer's input and result,
// its textures, metrics from a worker or the GPU, the error picture) and updateImageView, which
// loads the image and rebuilds what is stale. No ImGui or GL here (the settings fuzzer includes it).
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "image/image.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"
#include "ui/texture.hpp"

namespace qviz::ui {

enum class ComputePath : std::uint8_t { GpuCompute, GpuFragment, Cpu };
constexpr const char* computePathName(ComputePath p) {
  switch (p) {
    case ComputePath::GpuCompute: return "gpu-compute";
    case ComputePath::GpuFragment: return "gpu-fragment";
    case ComputePath::Cpu: return "cpu";
  }
  return "?";
}
// The path control's label for what runs: `chosen` unless the user shader (which has no CPU
// version) makes the CPU reference run on the GPU anyway.
constexpr const char* computePathLabel(ComputePath chosen, bool userShaderOnGpu) {
  switch (chosen) {
    case ComputePath::GpuCompute: return "GPU compute";
    case ComputePath::GpuFragment: return "GPU fragment";
    case ComputePath::Cpu: return userShaderOnGpu ? "GPU (user shader)" : "CPU reference";
  }
  return "?";
}
// The inputs a quantized view depends on: a cache is rebuilt only when these change (dragging a
// number-line value must not re-quantize the image).
struct ViewInputs {
  std::string imagePath;
  core::UniformSettings quant;
  ComputePath path = ComputePath::GpuCompute;
  std::uint64_t shaderGeneration = 0;  // bumped when any shader reloads
  std::string userShaderFile = {};     // with the user rounding only
  std::map<std::string, double> userUniforms = {};
  bool operator==(const ViewInputs&) const = default;
};

// Metrics of one quantization, computed on the worker thread.
struct MetricsResult {
  std::uint64_t generation = 0;
  core::ImageMetrics metrics;
  std::vector<core::Histogram> histBefore, histAfter;
};
struct MetricsMailbox {
  std::mutex mutex;
  std::optional<MetricsResult> result;
};

// Where a quantized view's result lives and which of its metrics are still to come.
enum class ViewState : std::uint8_t {
  Cpu,         // the result is `quantized` (made on the CPU); its metrics are taken or on the worker
  CpuWaiting,  // the same, and the metrics worker starts once the settings rest
  Gpu,         // the result lives in the GPU engine's textures (quantized stays empty); metrics done
  GpuWaiting,  // the same, and the GPU metrics wait until the settings rest
  GpuSsim,     // the same, the cheap metrics done, and SSIM, the costliest, on the frame after
  Fallback,    // the result texture is the magenta "shader never compiled" picture
};

// A computed view of the document, tagged with the revision and inputs it reflects.
struct QuantizedView {
  std::uint64_t revision = ~0ull;
  std::optional<ViewInputs> inputs;
  core::Image reference;  // the quantizer input (the image, or its luma with "gray")
  core::Image quantized;
  core::ImageMetrics metrics;
  std::vector<core::Histogram> histBefore, histAfter;
  std::uint64_t generation = 0;          // bumped per quantization
  std::uint64_t metricsGeneration = 0;   // generation the metrics above belong to
  DisplayTexture original, result, error;
  std::optional<std::pair<std::string, bool>> originalKey;  // (image, gray) the original texture shows
  std::optional<std::tuple<std::uint64_t, float, bool>> errorKey;  // (generation, gain, signed)
  ViewState state = ViewState::Cpu;
  std::chrono::steady_clock::time_point changedAt;
  std::string computedOn;  // "GPU compute", "GPU fragment", "CPU"
  double elapsedMs = 0;
  bool metricsCurrent() const { return metricsGeneration == generation; }
  bool onGpu() const { return state == ViewState::Gpu || state == ViewState::GpuWaiting || state == ViewState::GpuSsim; }
  bool fallback() const { return state == ViewState::Fallback; }
  // Metrics are still to come without any input (the window keeps drawing).
  bool metricsPending() const {
    return state == ViewState::CpuWaiting || state == ViewState::GpuWaiting || state == ViewState::GpuSsim;
  }
};

struct AppState;
// Loads the document's image when its path changed, quantizes it when the inputs changed, takes
// or starts the metrics and makes the error picture while the error view is shown. Main thread.
void updateImageView(AppState& s);

}  // namespace qviz::ui
