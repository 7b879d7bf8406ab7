// Parity of every GPU kernel with the CPU function it names, on both paths where a kernel has
// two, at sizes that are not multiples of the work-group size, 8- and 16-bit, every channel
// layout (alpha included), every rounding mode, and with tiny dispatch grids (grid-stride loops).
#include <catch2/catch.hpp>
#include <cmath>

#include "gpu/error_map.hpp"
#include "gpu/metrics_kernels.hpp"
#include "gpu/selftest.hpp"
#include "gpu/uniform_kernel.hpp"
#include "gpu_fixture.hpp"
#include "metrics/metrics.hpp"

using namespace qviz;
using namespace qviz::gpu;
using core::Image;
using core::SampleType;
using qviz::test::GpuFixture;

namespace {
// Odd shapes: word padding, rows narrower than a word, every layout, both depths.
std::vector<Image> shapes() {
  return {selftestImage(257, 131, 3, SampleType::U8, 1), selftestImage(1, 1, 4, SampleType::U8, 2),
          selftestImage(67, 45, 4, SampleType::U16, 3),  selftestImage(33, 17, 1, SampleType::U8, 4),
          selftestImage(19, 23, 2, SampleType::U16, 5),  selftestImage(3, 5, 1, SampleType::U8, 6),
          selftestImage(2, 7, 3, SampleType::U8, 7),     selftestImage(5, 3, 3, SampleType::U16, 8),
          selftestImage(7, 9, 2, SampleType::U8, 9)};
}

std::vector<core::UniformSettings> settingsFor(const Image& img) {
  using core::Dither;
  using core::Rounding;
  const int maxBits = img.bitDepth();
  std::vector<core::UniformSettings> out;
  for (Rounding r : {Rounding::Nearest, Rounding::Truncate, Rounding::Stochastic, Rounding::Seed, Rounding::Drop})
    for (int bits : {1, 3, maxBits}) {
      core::UniformSettings s;
      s.bits = bits;
      s.rounding = r;
      s.seed = 0xC0FFEEu;
      out.push_back(s);
    }
  core::UniformSettings ordered;
  ordered.bits = 2;
  ordered.dither = Dither::Ordered;
  out.push_back(ordered);
  core::UniformSettings gray;
  gray.bits = 3;
  gray.gray = true;
  out.push_back(gray);
  gray.rounding = Rounding::Stochastic;
  gray.seed = 5;
  out.push_back(gray);
  core::UniformSettings perChannel;
  perChannel.bits = 4;
  perChannel.channelBits = {5, 6, maxBits == 16 ? 11 : 5};
  out.push_back(perChannel);
  perChannel.rounding = Rounding::Stochastic;
  out.push_back(perChannel);
  perChannel.rounding = Rounding::Drop;
  out.push_back(perChannel);
  gray.rounding = Rounding::Drop;
  out.push_back(gray);
  return out;
}

std::string describe(const core::UniformSettings& s) {
  return std::string(core::roundingName(s.rounding)) + "/" + core::ditherName(s.dither) + " bits " + std::to_string(s.bits) +
         (s.gray ? " gray" : "") + (s.channelBits[0] ? " per-channel" : "");
}
}  // namespace

TEST_CASE_METHOD(GpuFixture, "uniform quantizer: every mode, layout and depth equals core::quantizeUniform on both paths") {
  UniformQuantizerGpu kernel(env());
  for (const Image& img : shapes())
    for (const auto& s : settingsFor(img)) {
      const Image cpu = core::quantizeUniform(img, s).value();
      for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
        INFO(describeImage(img) << " " << describe(s) << " " << gpuPathName(path));
        const auto gpu = kernel.quantize(img, s, path);
        REQUIRE(gpu.error() == "");
        REQUIRE(gpu->sameShape(cpu));
        CHECK(*gpu == cpu);
      }
    }
}

TEST_CASE_METHOD(GpuFixture, "uniform quantizer: bit dropping on every 8- and 16-bit value equals the CPU on both paths") {
  UniformQuantizerGpu kernel(env());
  Image img8 = Image::make(256, 1, 1, SampleType::U8);
  for (std::uint32_t v = 0; v <= 255; ++v) img8.u8[v] = std::uint8_t(v);
  Image img16 = Image::make(256, 256, 1, SampleType::U16);
  for (std::uint32_t v = 0; v <= 65535; ++v) img16.u16[v] = std::uint16_t(v);
  for (const Image* img : {&img8, &img16}) {
    const int depth = img->bitDepth();
    for (int bits = 1; bits <= depth; ++bits) {
      core::UniformSettings s;
      s.bits = bits;
      s.rounding = core::Rounding::Drop;
      const Image cpu = core::quantizeUniform(*img, s).value();
      // The CPU itself against the integer shift, on the level grid of nearest.
      const auto k = core::uniformConstants(bits, img->vmax());
      for (std::uint32_t v = 0; v <= img->vmax(); ++v)
        if (cpu.at(int(v % 256), int(v / 256), 0) != core::dequantizeCode(v >> (depth - bits), k, core::Rounding::Nearest))
          FAIL("cpu: bits " << bits << " v " << v);
      for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
        INFO(depth << "-bit, drop bits " << bits << " " << gpuPathName(path));
        CHECK(kernel.quantize(*img, s, path).value() == cpu);
      }
    }
  }
}

TEST_CASE_METHOD(GpuFixture, "uniform quantizer: a mid-size image, and grid-stride loops with one or three groups") {
  const Image img = selftestImage(640, 480, 4, SampleType::U8, 21);
  for (std::uint32_t groups : {65535u, 3u, 1u}) {
    GpuEnv e = env();
    e.limits.maxGroups = groups;
    UniformQuantizerGpu kernel(e);
    for (core::Rounding r : {core::Rounding::Nearest, core::Rounding::Stochastic}) {
      core::UniformSettings s;
      s.bits = 3;
      s.rounding = r;
      s.seed = 77;
      const Image cpu = core::quantizeUniform(img, s).value();
      for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
        INFO("groups " << groups << " " << core::roundingName(r) << " " << gpuPathName(path));
        CHECK(kernel.quantize(img, s, path).value() == cpu);
      }
    }
  }
}

TEST_CASE_METHOD(GpuFixture, "uniform quantizer: alpha passes through untouched, 8- and 16-bit") {
  UniformQuantizerGpu kernel(env());
  for (SampleType t : {SampleType::U8, SampleType::U16})
    for (int ch : {2, 4}) {
      const Image img = selftestImage(31, 9, ch, t, 40);
      core::UniformSettings s;
      s.bits = 1;
      for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
        const Image q = kernel.quantize(img, s, path).value();
        for (std::size_t p = 0; p < img.pixelCount(); ++p)
          REQUIRE(q.sample(p * std::size_t(ch) + std::size_t(ch - 1)) == img.sample(p * std::size_t(ch) + std::size_t(ch - 1)));
      }
    }
}

TEST_CASE_METHOD(GpuFixture, "uniform quantizer: device images chain without read-back and change shape") {
  UniformQuantizerGpu kernel(env());
  DeviceImage src, dst, again;
  core::UniformSettings s;
  s.bits = 5;
  for (const Image& img : {selftestImage(100, 10, 3, SampleType::U8, 1), selftestImage(9, 70, 4, SampleType::U16, 2)}) {
    REQUIRE(src.upload(img).ok());
    REQUIRE(kernel.run(src, s, dst, GpuPath::Compute).ok());
    REQUIRE(kernel.run(dst, s, again, GpuPath::Fragment).ok());  // quantizing twice changes nothing
    const Image once = core::quantizeUniform(img, s).value();
    CHECK(dst.download().value() == once);
    CHECK(again.download().value() == once);
  }
  CHECK(!kernel.run(src, s, src, GpuPath::Compute).ok());  // no in-place runs
}

TEST_CASE_METHOD(GpuFixture, "uniform quantizer: Floyd-Steinberg and invalid settings are refused with a reason") {
  UniformQuantizerGpu kernel(env());
  const Image img = selftestImage(8, 8, 3, SampleType::U8, 1);
  core::UniformSettings fs;
  fs.dither = core::Dither::FloydSteinberg;
  CHECK(UniformQuantizerGpu::cpuOnly(fs));
  const auto r = kernel.quantize(img, fs, GpuPath::Compute);
  REQUIRE(!r.ok());
  CHECK(r.error().find("CPU only") != std::string::npos);
  core::UniformSettings nine;
  nine.bits = 9;
  CHECK(!kernel.quantize(img, nine, GpuPath::Fragment).ok());
}

TEST_CASE_METHOD(GpuFixture, "a fragment pass restores the caller's framebuffer, program and viewport") {
  UniformQuantizerGpu kernel(env());
  Framebuffer fbo = Framebuffer::create();
  Texture colour = Texture::create();
  glBindTexture(GL_TEXTURE_2D, colour.id());
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 4, 4, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, colour.id(), 0);
  glViewport(1, 2, 3, 4);
  core::UniformSettings s;
  REQUIRE(kernel.quantize(selftestImage(20, 20, 3, SampleType::U8, 1), s, GpuPath::Fragment).ok());
  GLint bound = 0, viewport[4] = {};
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &bound);
  glGetIntegerv(GL_VIEWPORT, viewport);
  CHECK(GLuint(bound) == fbo.id());
  CHECK((viewport[0] == 1 && viewport[1] == 2 && viewport[2] == 3 && viewport[3] == 4));
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

TEST_CASE("error map: the documented integer mapping") {
  Image r = Image::make(4, 1, 1, SampleType::U8), q = Image::make(4, 1, 1, SampleType::U8);
  r.u8 = {10, 10, 200, 0};
  q.u8 = {13, 7, 0, 255};
  const Image abs1 = errorMapReference(r, q, {ErrorMapMode::Absolute, 1}).value();
  CHECK((abs1.u8[0] == 3 && abs1.u8[4] == 3 && abs1.u8[8] == 200 && abs1.u8[12] == 255));
  CHECK((abs1.u8[1] == 3 && abs1.u8[2] == 3 && abs1.u8[3] == 255));  // gray replicates, alpha opaque
  const Image abs100 = errorMapReference(r, q, {ErrorMapMode::Absolute, 100}).value();
  CHECK(abs100.u8[0] == 255);
  const Image sgn2 = errorMapReference(r, q, {ErrorMapMode::Signed, 2}).value();
  CHECK((sgn2.u8[0] == 134 && sgn2.u8[4] == 122 && sgn2.u8[8] == 0 && sgn2.u8[12] == 255));
  Image r16 = Image::make(2, 1, 1, SampleType::U16), q16 = Image::make(2, 1, 1, SampleType::U16);
  r16.u16 = {1000, 1000};
  q16.u16 = {1000 + 300, 1000 - 300};
  const Image s16 = errorMapReference(r16, q16, {ErrorMapMode::Signed, 1}).value();
  CHECK((s16.u8[0] == 129 && s16.u8[4] == 126));  // 300 >> 8 = 1, -300 >> 8 = -2 (flooring)
  CHECK(!errorMapReference(r, q, {ErrorMapMode::Absolute, 0}).ok());
  CHECK(!errorMapReference(r, r16, {ErrorMapMode::Absolute, 1}).ok());
}

TEST_CASE_METHOD(GpuFixture, "error map equals errorMapReference on both paths") {
  ErrorMapGpu kernel(env());
  for (const Image& img : shapes()) {
    core::UniformSettings s;
    s.bits = 2;
    const Image quant = core::quantizeUniform(img, s).value();
    for (ErrorMapSettings m : {ErrorMapSettings{ErrorMapMode::Absolute, 1}, ErrorMapSettings{ErrorMapMode::Absolute, 7},
                               ErrorMapSettings{ErrorMapMode::Signed, 1}, ErrorMapSettings{ErrorMapMode::Signed, kMaxErrorMapGain}})
      for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
        INFO(describeImage(img) << " " << errorMapModeName(m.mode) << " gain " << m.gain << " " << gpuPathName(path));
        CHECK(kernel.compute(img, quant, m, path).value() == errorMapReference(img, quant, m).value());
      }
  }
}

TEST_CASE_METHOD(GpuFixture, "histograms equal core::histograms, also with one work group") {
  for (std::uint32_t groups : {65535u, 1u}) {
    GpuEnv e = env();
    e.limits.maxGroups = groups;
    HistogramGpu kernel(e);
    DeviceImage dev;
    std::vector<Image> images = shapes();
    images.push_back(selftestImage(300, 200, 4, SampleType::U8, 50));
    for (const Image& img : images) {
      REQUIRE(dev.upload(img).ok());
      INFO(describeImage(img) << " groups " << groups);
      CHECK(kernel.run(dev).value() == core::histograms(img));
    }
  }
}

TEST_CASE_METHOD(GpuFixture, "error statistics are exact, including 16-bit sums above 2^32") {
  ErrorStatsGpu kernel(env());
  DeviceImage a, b;
  for (const Image& img : shapes()) {
    core::UniformSettings s;
    s.bits = 1;
    const Image q = core::quantizeUniform(img, s).value();
    REQUIRE(a.upload(img).ok());
    REQUIRE(b.upload(q).ok());
    const ErrorStats st = kernel.run(a, b).value();
    INFO(describeImage(img));
    CHECK(st.sumSquaredError == core::sumSquaredError(img, q));
    CHECK(st.maxAbsError == core::maxAbsError(img, q));
    CHECK(st.mse() == core::meanSquaredError(img, q));
  }
  // Every colour sample off by 65535: 3 * 40000 * 65535^2 ~ 5.2e14, far beyond 32 bits.
  Image black = Image::make(200, 200, 4, SampleType::U16), white = Image::make(200, 200, 4, SampleType::U16);
  std::fill(white.u16.begin(), white.u16.end(), std::uint16_t(65535));
  REQUIRE(a.upload(black).ok());
  REQUIRE(b.upload(white).ok());
  const ErrorStats worst = kernel.run(a, b).value();
  CHECK(worst.sumSquaredError == 3ull * 40000ull * 65535ull * 65535ull);
  CHECK(worst.maxAbsError == 65535u);
}

TEST_CASE_METHOD(GpuFixture, "SSIM is within the documented tolerance of core::ssim") {
  SsimGpu kernel(env());
  DeviceImage a, b;
  std::vector<Image> images = shapes();
  images.push_back(selftestImage(11, 11, 3, SampleType::U8, 60));
  images.push_back(selftestImage(12, 40, 4, SampleType::U16, 61));
  images.push_back(selftestImage(320, 240, 3, SampleType::U8, 62));
  for (const Image& img : images) {
    for (int bits : {1, 4}) {
      core::UniformSettings s;
      s.bits = bits;
      const Image q = core::quantizeUniform(img, s).value();
      REQUIRE(a.upload(img).ok());
      REQUIRE(b.upload(q).ok());
      const auto gpu = kernel.run(a, b).value();
      const auto cpu = core::ssim(img, q);
      INFO(describeImage(img) << " bits " << bits);
      REQUIRE(gpu.has_value() == cpu.has_value());
      if (cpu) CHECK(std::abs(*gpu - *cpu) <= kSsimTolerance);
    }
  }
  const Image same = selftestImage(40, 30, 3, SampleType::U8, 63);
  REQUIRE(a.upload(same).ok());
  CHECK(std::abs(kernel.run(a, a).value().value() - 1.0) <= kSsimTolerance);
}

TEST_CASE("metric kernels need the compute path and say so") {
  SessionOptions o;
  o.forceFragment = true;
  auto s = GpuSession::openHeadless(o);
  REQUIRE(s.ok());
  DeviceImage img;
  REQUIRE(img.upload(selftestImage(16, 16, 3, SampleType::U8, 1)).ok());
  const auto h = HistogramGpu((*s)->env()).run(img);
  REQUIRE(!h.ok());
  CHECK(h.error().find("compute") != std::string::npos);
  CHECK(!SsimGpu((*s)->env()).run(img, img).ok());
  CHECK(!ErrorStatsGpu((*s)->env()).run(img, img).ok());
  CHECK(UniformQuantizerGpu((*s)->env()).quantize(selftestImage(16, 16, 3, SampleType::U8, 1), {}, GpuPath::Fragment).ok());
}

TEST_CASE_METHOD(GpuFixture, "the selftest table passes and names a CPU reference for every kernel") {
  const SelftestReport report = runSelftest(env());
  for (const auto& r : report.rows) {
    INFO(r.kernel << " " << r.path << " " << r.input << ": " << r.detail);
    CHECK(r.pass);
    CHECK(!r.reference.empty());
  }
  CHECK(report.allPassed());
  CHECK(report.renderer == context().caps().renderer);
}
