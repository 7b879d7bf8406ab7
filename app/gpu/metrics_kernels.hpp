// Image metrics on the GPU (compute path only, GL 4.3): 256-bin histograms
// (shaders/histogram.comp, reference core::histograms), exact error statistics
// (shaders/error_stats.comp, references core::sumSquaredError and core::maxAbsError) and SSIM
// (shaders/ssim_vertical.comp + ssim_horizontal.comp, reference core::ssim, within kSsimTolerance).
// Only small results come back to the CPU (bins, partial sums), never the images.
#pragma once
#include <optional>
#include <vector>

#include "gpu/kernel_util.hpp"
#include "metrics/metrics.hpp"

namespace qviz::gpu {

// Documented tolerance of SSIM against core::ssim (absolute, on the mean). The GPU mirrors the CPU's
// float32 filtering order with `precise`; only the division and the order of the final sum differ.
inline constexpr double kSsimTolerance = 1e-5;

class HistogramGpu {
public:
  static constexpr const char* kReference = "core::histograms";
  explicit HistogramGpu(GpuEnv env) : m_env(env) {}
  // One histogram per colour channel (16-bit samples binned by their high byte).
  Result<std::vector<core::Histogram>> run(const DeviceImage& img);

private:
  GpuEnv m_env;
  Buffer m_bins;
  std::size_t m_binsCapacity = 0;
};

struct ErrorStats {
  std::uint64_t sumSquaredError = 0;  // exact
  std::uint32_t maxAbsError = 0;
  std::uint64_t samples = 0;          // colour samples compared
  double mse() const { return samples ? double(sumSquaredError) / double(samples) : 0.0; }
};

class ErrorStatsGpu {
public:
  static constexpr const char* kReference = "core::sumSquaredError, core::maxAbsError";
  explicit ErrorStatsGpu(GpuEnv env) : m_env(env) {}
  Result<ErrorStats> run(const DeviceImage& reference, const DeviceImage& quantized);

private:
  GpuEnv m_env;
  Buffer m_stats;
  std::size_t m_capacity = 0;
};

class SsimGpu {
public:
  static constexpr const char* kReference = "core::ssim";
  explicit SsimGpu(GpuEnv env) : m_env(env) {}
  // Mean SSIM over colour channels; nullopt when a side is shorter than 11 pixels (as core::ssim).
  Result<std::optional<double>> run(const DeviceImage& a, const DeviceImage& b);

private:
  GpuEnv m_env;
  Buffer m_vertical, m_partials;
  std::size_t m_verticalCapacity = 0, m_partialCapacity = 0;
};

// Compute-only kernels: ok, or why not (fragment path forced or GL < 4.3).
Status requireCompute(const GpuContext& ctx, const char* what);

}  // namespace qviz::gpu
