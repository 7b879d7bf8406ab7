// Image quality metrics over colour channels (alpha excluded): exact integer MSE, PSNR, SSIM
// (Wang et al. 2004, scikit-image's Gaussian variant), max error, levels used, histograms and
// storage accounting.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "image/image.hpp"
#include "quant/uniform.hpp"
#include "util/result.hpp"

namespace qviz::core {

// Sum of squared errors over colour samples, exact in 64-bit integers.
std::uint64_t sumSquaredError(const Image& a, const Image& b);
double meanSquaredError(const Image& a, const Image& b);
// 10 log10(vmax^2 / mse); nullopt when the images are identical.
std::optional<double> psnrFromMse(double mse, std::uint32_t vmax);
std::uint32_t maxAbsError(const Image& a, const Image& b);
// Number of distinct sample values over all colour channels.
std::uint32_t levelsUsed(const Image& img);

// Mean SSIM over colour channels: Gaussian sigma 1.5, 11 taps, population covariances,
// C1 = (0.01 vmax)^2, C2 = (0.03 vmax)^2, 5-pixel border excluded. nullopt when a side is
// shorter than 11 pixels (the window does not fit).
std::optional<double> ssim(const Image& a, const Image& b);
// The 11 normalised Gaussian taps (float32, as used by the CPU and GPU SSIM).
std::array<float, 11> ssimGaussianTaps();

// 256-bin histograms, one per colour channel (16-bit samples binned by their high byte).
using Histogram = std::array<std::uint64_t, 256>;
std::vector<Histogram> histograms(const Image& img);

struct StorageInfo {
  double bitsPerSample = 0;          // mean bits over colour channels
  std::uint64_t storedBytes = 0;     // packed codes (+ alpha at its original depth)
  std::uint64_t originalBytes = 0;   // the original image at its sample size
  double compressionRatio = 0;
};
StorageInfo storageInfo(const Image& original, const Image& reference, const UniformSettings& s);

struct ImageMetrics {
  double mse = 0;
  std::optional<double> psnrDb;
  std::optional<double> ssim;
  std::uint32_t maxAbsError = 0;
  std::uint32_t levelsUsed = 0;
  StorageInfo storage;
};
// All metrics of `quantized` against `reference` (the quantizer's input, see quantizerReference).
ImageMetrics computeMetrics(const Image& original, const Image& reference, const Image& quantized,
                            const UniformSettings& s);

}  // namespace qviz::core
