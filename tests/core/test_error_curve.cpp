// Error against bits (core/metrics/error_curve): exact MSE/PSNR on a ramp, every point equal to
// computeMetrics for the same settings, cancel and resume, the mode list.
#include <catch2/catch.hpp>
#include <cmath>

#include "metrics/error_curve.hpp"
#include "metrics/metrics.hpp"
#include "test_support.hpp"

using namespace qviz::core;

namespace {
// 256 x 12 gray: every row holds every byte value once.
Image rampRows() {
  Image img = Image::make(256, 12, 1, SampleType::U8);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 256; ++x) img.u8[std::size_t(y * 256 + x)] = std::uint8_t(x);
  return img;
}

std::size_t modeIndex(Rounding r, Dither d = Dither::None) {
  UniformSettings s;
  s.rounding = r;
  s.dither = d;
  return curveModeIndex(s).value();
}
}  // namespace

TEST_CASE("error curve: the modes, their labels and the settings of a point") {
  const auto& modes = errorCurveModes();
  REQUIRE(modes.size() == 7);
  CHECK(curveModeLabel(modes[0]) == "nearest");
  CHECK(curveModeLabel(modes[4]) == "drop");
  CHECK(curveModeLabel(modes[5]) == "ordered dither");
  CHECK(curveModeLabel(modes[6]) == "Floyd-Steinberg");
  UniformSettings s;
  s.rounding = Rounding::User;
  CHECK(!curveModeIndex(s).has_value());  // GPU only: no curve
  s.rounding = Rounding::Nearest;
  s.dither = Dither::FloydSteinberg;
  CHECK(curveModeIndex(s) == 6u);
  s.channelBits = {5, 6, 5};
  CHECK(!curveModeIndex(s).has_value());  // per-channel depths that differ lie on no curve
  s.bits = 5;
  s.channelBits = {5, 5, 5};
  CHECK(curveModeIndex(s) == 6u);
  UniformSettings base;
  base.gray = true;
  base.seed = 9;
  base.channelBits = {1, 2, 3};
  const UniformSettings p = curveSettings(base, modes[2], 3);
  CHECK(p.bits == 3);
  CHECK(p.rounding == Rounding::Stochastic);
  CHECK(p.dither == Dither::None);
  CHECK(p.gray);
  CHECK(p.seed == 9);
  CHECK(p.channelBits == std::array<int, 3>{0, 0, 0});
}

TEST_CASE("error curve: exact MSE and PSNR on a ramp of every byte value") {
  const Image ramp = rampRows();
  const auto c = computeErrorCurves(ramp, UniformSettings{});
  REQUIRE(c.ok());
  REQUIRE(c->maxBits == 8);
  CHECK(c->complete());
  const std::size_t nearest = modeIndex(Rounding::Nearest), truncate = modeIndex(Rounding::Truncate),
                    seed = modeIndex(Rounding::Seed), drop = modeIndex(Rounding::Drop);
  // 1 bit, nearest: 0..127 -> 0, 128..255 -> 255, so SSE per row = 2 * (0^2 + ... + 127^2) = 1381760.
  CHECK(c->at(nearest, 1)->mse == 5397.5);
  CHECK(c->at(nearest, 1)->psnrDb == psnrFromMse(5397.5, 255));
  CHECK(*c->at(nearest, 1)->psnrDb == Approx(10.0 * std::log10(255.0 * 255.0 / 5397.5)).epsilon(1e-15));
  // Dropping 7 bits is the same cut at 1 bit.
  CHECK(c->at(drop, 1)->mse == 5397.5);
  // Truncate: everything but 255 goes to 0: 0^2 + ... + 254^2 = 5494655 per row of 256.
  CHECK(c->at(truncate, 1)->mse == 5494655.0 / 256.0);
  // The seed formula's 1 bit is all black: 0^2 + ... + 255^2 = 5559680.
  CHECK(c->at(seed, 1)->mse == 21717.5);
  // 8 bits, nearest: the identity.
  CHECK(c->at(nearest, 8)->mse == 0.0);
  CHECK(!c->at(nearest, 8)->psnrDb.has_value());
  CHECK(*c->at(nearest, 8)->ssim == Approx(1.0).margin(1e-12));
  // Nearest at every depth against exact rational rounding in integers (no ties exist for L - 1 odd):
  // code = round(v (L-1) / 255), sample = round(code 255 / (L-1)).
  for (int bits = 1; bits <= 8; ++bits) {
    const std::uint64_t l1 = (1u << bits) - 1;
    std::uint64_t sse = 0;
    for (std::uint64_t v = 0; v < 256; ++v) {
      const std::uint64_t code = (2 * v * l1 + 255) / 510;
      const std::uint64_t out = (2 * code * 255 + l1) / (2 * l1);
      const std::int64_t d = std::int64_t(out) - std::int64_t(v);
      sse += std::uint64_t(d * d);
    }
    INFO("bits " << bits);
    CHECK(c->at(nearest, bits)->mse == double(sse * 12) / double(256 * 12));
  }
}

TEST_CASE("error curve: every point is computeMetrics' PSNR and SSIM for the same settings") {
  struct Case {
    Image img;
    bool gray;
    std::uint32_t seed;
  };
  const Case cases[] = {
      {qviz::test::randomImage(24, 20, 3, SampleType::U8, 5), false, 0},
      {qviz::test::randomImage(24, 20, 3, SampleType::U8, 6), true, 3},
      {qviz::test::randomImage(16, 13, 4, SampleType::U8, 7), false, 11},  // alpha passes through, not measured
      {qviz::test::randomImage(14, 12, 1, SampleType::U16, 8), false, 2},
  };
  for (const Case& k : cases) {
    UniformSettings base;
    base.gray = k.gray;
    base.seed = k.seed;
    const Image reference = quantizerReference(k.img, base);
    const auto c = computeErrorCurves(reference, base);
    REQUIRE(c.ok());
    CHECK(c->maxBits == k.img.bitDepth());
    for (std::size_t m = 0; m < errorCurveModes().size(); ++m)
      for (int bits = 1; bits <= c->maxBits; ++bits) {
        UniformSettings s = curveSettings(base, errorCurveModes()[m], bits);
        const Image q = quantizeUniform(k.img, s).value();
        const ImageMetrics want = computeMetrics(k.img, reference, q, s);
        const CurvePoint& p = *c->at(m, bits);
        INFO(curveModeLabel(errorCurveModes()[m]) << " " << bits << " bits, channels " << k.img.channels);
        CHECK(p.hasMse);
        CHECK(p.hasSsim);
        CHECK(p.mse == want.mse);
        CHECK(p.psnrDb == want.psnrDb);
        CHECK(p.ssim == want.ssim);
      }
  }
}

TEST_CASE("error curve: cancelled between points, resumed to the same numbers; the first mode goes first") {
  const Image img = qviz::test::randomImage(20, 16, 3, SampleType::U8, 21);
  const UniformSettings base;
  const ErrorCurves whole = computeErrorCurves(img, base).value();
  ErrorCurves part = emptyErrorCurves(8);
  int calls = 0;
  std::vector<std::size_t> firstModes;
  ErrorCurveOptions o;
  o.firstMode = 3;
  o.cancelled = [&] { return calls >= 10; };
  o.progress = [&](const ErrorCurves& c) {
    ++calls;
    for (std::size_t m = 0; m < c.points.size(); ++m)
      if (c.points[m][0].hasMse && firstModes.empty()) firstModes.push_back(m);
  };
  REQUIRE(fillErrorCurves(img, base, part, o).ok());
  CHECK(calls == 10);
  CHECK(part.stepsDone() == 10);
  CHECK(!part.complete());
  CHECK(firstModes == std::vector<std::size_t>{3});
  CHECK(part.points[3][7].hasMse);   // all 8 depths of the first mode, then two of the next
  CHECK(!part.points[3][0].hasSsim);  // SSIM only after every MSE
  o.cancelled = {};
  REQUIRE(fillErrorCurves(img, base, part, o).ok());
  CHECK(part.complete());
  CHECK(part.steps() == 7 * 8 * 2);
  for (std::size_t m = 0; m < whole.points.size(); ++m)
    for (int bits = 1; bits <= 8; ++bits) {
      CHECK(part.at(m, bits)->mse == whole.at(m, bits)->mse);
      CHECK(part.at(m, bits)->ssim == whole.at(m, bits)->ssim);
    }
}

TEST_CASE("error curve: float images and curves of another depth are refused") {
  Image f = Image::make(12, 12, 1, SampleType::F32);
  const auto r = computeErrorCurves(f, UniformSettings{});
  REQUIRE(!r.ok());
  CHECK(r.error() == "the error curve needs integer samples (the uniform quantizer refuses float images)");
  ErrorCurves c = emptyErrorCurves(16);
  const auto st = fillErrorCurves(qviz::test::randomImage(12, 12, 1, SampleType::U8, 1), UniformSettings{}, c);
  REQUIRE(!st.ok());
  CHECK(st.error() == "the error curve was made for another image depth");
  CHECK(c.at(0, 0) == nullptr);
  CHECK(c.at(0, 17) == nullptr);
  CHECK(c.at(7, 1) == nullptr);
  CHECK(c.at(6, 16) != nullptr);
}
