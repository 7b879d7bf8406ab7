// Error against bits: the points in two passes (MSE for all, then SSIM for all), so the cheap PSNR
// curves are complete long before the SSIM ones; each point re-quantizes into one buffer.
#include "metrics/error_curve.hpp"

#include "metrics/metrics.hpp"

namespace qviz::core {

const std::vector<CurveMode>& errorCurveModes() {
  static const std::vector<CurveMode> modes = {
      {Rounding::Nearest, Dither::None},  {Rounding::Truncate, Dither::None}, {Rounding::Stochastic, Dither::None},
      {Rounding::Seed, Dither::None},     {Rounding::Drop, Dither::None},     {Rounding::Nearest, Dither::Ordered},
      {Rounding::Nearest, Dither::FloydSteinberg},
  };
  return modes;
}

std::string curveModeLabel(CurveMode m) {
  if (m.dither == Dither::Ordered) return "ordered dither";
  if (m.dither == Dither::FloydSteinberg) return "Floyd-Steinberg";
  return roundingName(m.rounding);
}

std::optional<std::size_t> curveModeIndex(const UniformSettings& s) {
  for (int c = 0; c < 3; ++c)
    if (s.bitsFor(c) != s.bits) return std::nullopt;
  const auto& modes = errorCurveModes();
  for (std::size_t i = 0; i < modes.size(); ++i)
    if (modes[i] == CurveMode{s.rounding, s.dither}) return i;
  return std::nullopt;
}

UniformSettings curveSettings(const UniformSettings& base, CurveMode m, int bits) {
  UniformSettings s;
  s.bits = bits;
  s.rounding = m.rounding;
  s.dither = m.dither;
  s.gray = base.gray;
  s.seed = base.seed;
  return s;
}

const CurvePoint* ErrorCurves::at(std::size_t mode, int bits) const {
  if (mode >= points.size() || bits < 1 || std::size_t(bits) > points[mode].size()) return nullptr;
  return &points[mode][std::size_t(bits - 1)];
}

std::size_t ErrorCurves::steps() const {
  std::size_t n = 0;
  for (const auto& c : points) n += 2 * c.size();
  return n;
}

std::size_t ErrorCurves::stepsDone() const {
  std::size_t n = 0;
  for (const auto& c : points)
    for (const CurvePoint& p : c) n += std::size_t(p.hasMse) + std::size_t(p.hasSsim);
  return n;
}

ErrorCurves emptyErrorCurves(int bitDepth) {
  ErrorCurves c;
  c.maxBits = bitDepth;
  c.points.assign(errorCurveModes().size(), std::vector<CurvePoint>(std::size_t(bitDepth)));
  return c;
}

Status fillErrorCurves(const Image& reference, const UniformSettings& base, ErrorCurves& curves,
                       const ErrorCurveOptions& options) {
  if (reference.type == SampleType::F32)
    return fail("the error curve needs integer samples (the uniform quantizer refuses float images)");
  const auto& modes = errorCurveModes();
  if (curves.maxBits != reference.bitDepth() || curves.points.size() != modes.size())
    return fail("the error curve was made for another image depth");
  std::vector<std::size_t> order = {options.firstMode < modes.size() ? options.firstMode : 0};
  for (std::size_t m = 0; m < modes.size(); ++m)
    if (m != order.front()) order.push_back(m);
  Image out;
  for (int phase = 0; phase < 2; ++phase)
    for (std::size_t m : order)
      for (int bits = 1; bits <= curves.maxBits; ++bits) {
        CurvePoint& p = curves.points[m][std::size_t(bits - 1)];
        if (phase == 0 ? p.hasMse : p.hasSsim) continue;
        if (options.cancelled && options.cancelled()) return {};
        const UniformSettings s = curveSettings(base, modes[m], bits);
        if (auto st = quantizeUniformInto(reference, s, out); !st) return st;
        // Exactly what computeMetrics does for these images (the Metrics panel, qviz render).
        if (phase == 0) {
          p.mse = meanSquaredError(reference, out);
          p.psnrDb = psnrFromMse(p.mse, reference.vmax());
          p.hasMse = true;
        } else {
          p.ssim = ssim(reference, out);
          p.hasSsim = true;
        }
        if (options.progress) options.progress(curves);
      }
  return {};
}

Result<ErrorCurves> computeErrorCurves(const Image& reference, const UniformSettings& base) {
  ErrorCurves c = emptyErrorCurves(reference.bitDepth());
  if (auto st = fillErrorCurves(reference, base, c); !st) return fail(st.error());
  return c;
}

}  // namespace qviz::core
