// Error against bits: PSNR and SSIM of the uniform quantizer at every depth (1..8, or 1..16 for
// 16-bit images) for each rounding mode and dither, on one image. The numbers are those of the
// Metrics panel and `qviz render --metrics` for the same settings: the same quantizer
// (quantizeUniformInto) and the same metric functions (meanSquaredError, psnrFromMse, ssim).
// Not here: drawing (app/ui/panel_error_curve.cpp), threads (the caller's worker; this is
// resumable and cancellable between points).
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "quant/uniform.hpp"
#include "util/result.hpp"

namespace qviz::core {

// One curve: a rounding mode with a dither (dithering goes with nearest rounding only).
struct CurveMode {
  Rounding rounding = Rounding::Nearest;
  Dither dither = Dither::None;
  bool operator==(const CurveMode&) const = default;
};

// The curves, in plot and file order: nearest, truncate, stochastic, seed, drop, then nearest with
// ordered dithering and with Floyd-Steinberg. The user shader is GPU-only and has no curve.
const std::vector<CurveMode>& errorCurveModes();
// "nearest", "truncate", "stochastic", "seed", "drop", "ordered dither", "floyd-steinberg".
std::string curveModeLabel(CurveMode m);
// The index in errorCurveModes() of these settings' curve, or nullopt (the user shader; per
// channel depths that differ, which no curve has).
std::optional<std::size_t> curveModeIndex(const UniformSettings& s);

// The settings of one point: `base`'s grayscale choice and stochastic seed, one depth for every
// channel, the mode's rounding and dither.
UniformSettings curveSettings(const UniformSettings& base, CurveMode m, int bits);

struct CurvePoint {
  bool hasMse = false;  // phase 1 done: mse and psnrDb are set
  double mse = 0;
  std::optional<double> psnrDb;  // nullopt: identical (no error)
  bool hasSsim = false;          // phase 2 done: ssim is set
  std::optional<double> ssim;    // nullopt: the image is smaller than the 11x11 window
};

struct ErrorCurves {
  int maxBits = 0;                               // the image's sample depth: 8 or 16
  std::vector<std::vector<CurvePoint>> points;   // [mode index][bits - 1]
  const CurvePoint* at(std::size_t mode, int bits) const;
  std::size_t steps() const;      // points x 2 (MSE, then SSIM)
  std::size_t stepsDone() const;
  bool complete() const { return stepsDone() == steps(); }
};
// Every point missing, for an image of `bitDepth` (8 or 16) bits.
ErrorCurves emptyErrorCurves(int bitDepth);

struct ErrorCurveOptions {
  std::size_t firstMode = 0;  // computed first in each phase (the mode on screen)
  std::function<bool()> cancelled;  // polled between points: true stops with the points done so far
  // After each step, with the curves so far (the caller may copy them to a mailbox).
  std::function<void(const ErrorCurves&)> progress;
};

// Fills in the missing points of `curves` for `reference` (quantizerReference(image, base)):
// first MSE and PSNR of every point (fast), then SSIM of every point (the costly part). Fails for
// float images and when `curves` was made for another depth; a cancelled run returns ok.
Status fillErrorCurves(const Image& reference, const UniformSettings& base, ErrorCurves& curves,
                       const ErrorCurveOptions& options = {});

// All the curves at once (the CLI).
Result<ErrorCurves> computeErrorCurves(const Image& reference, const UniformSettings& base);

}  // namespace qviz::core
