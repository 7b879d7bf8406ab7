// The GPU self-test table: uniform quantizer, error map, histogram, error statistics and SSIM
// against their CPU references.
#include "gpu/selftest.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "gpu/error_map.hpp"
#include "gpu/metrics_kernels.hpp"
#include "gpu/raw_kernels.hpp"
#include "gpu/tensor_kernels.hpp"
#include "gpu/uniform_kernel.hpp"
#include "image/compare.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"

namespace qviz::gpu {

int SelftestReport::failures() const {
  int n = 0;
  for (const auto& r : rows) n += r.pass ? 0 : 1;
  return n;
}

core::Image selftestImage(int width, int height, int channels, core::SampleType type, std::uint32_t seed) {
  core::Image img = core::Image::make(width, height, channels, type);
  const std::uint32_t vmax = img.vmax();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        const std::size_t i = (std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c);
        const std::uint32_t h = core::lowbias32(std::uint32_t(i) * 2654435761u ^ seed);
        std::uint32_t v;
        switch (h & 3u) {
          case 0: v = std::uint32_t((std::uint64_t(x) * vmax) / std::uint64_t(std::max(1, width - 1))); break;  // gradient
          case 1: v = h >> 8; break;                                     // noise
          case 2: v = (h & 4u) ? vmax : 0; break;                        // extremes
          default: v = std::uint32_t((std::uint64_t(y) * vmax) / std::uint64_t(std::max(1, height - 1))) ^ (h >> 28);
        }
        img.setSample(i, v % (vmax + 1));
      }
  return img;
}

std::vector<core::Image> selftestImages() {
  using core::SampleType;
  return {selftestImage(257, 131, 3, SampleType::U8, 1), selftestImage(1, 1, 4, SampleType::U8, 2),
          selftestImage(67, 45, 4, SampleType::U16, 3), selftestImage(33, 17, 1, SampleType::U8, 4),
          selftestImage(19, 23, 2, SampleType::U16, 5)};
}

std::string describeImage(const core::Image& img) {
  return std::to_string(img.width) + "x" + std::to_string(img.height) + " " + core::channelLayoutName(img.channels) +
         " " + std::to_string(img.bitDepth()) + "-bit";
}

namespace {

// Index and values of the first differing sample, plus the count.
std::string compareImages(const core::Image& want, const core::Image& got) {
  if (!want.sameShape(got)) return "shape differs: want " + describeImage(want) + ", got " + describeImage(got);
  const core::SampleComparison c = core::compareSamples(want, got);
  if (!c.differing) return {};
  return std::to_string(c.differing) + " samples differ; first at x=" + std::to_string(c.x) + " y=" + std::to_string(c.y) +
         " c=" + std::to_string(c.channel) + ": cpu " + std::to_string(c.want) + ", gpu " + std::to_string(c.got);
}

std::vector<core::UniformSettings> uniformSettingsFor(const core::Image& img) {
  using core::Dither;
  using core::Rounding;
  const int maxBits = img.bitDepth();
  std::vector<core::UniformSettings> out;
  auto add = [&](int bits, Rounding r, Dither d, bool gray, std::uint32_t seed, std::array<int, 3> cb = {0, 0, 0}) {
    core::UniformSettings s;
    s.bits = bits;
    s.rounding = r;
    s.dither = d;
    s.gray = gray;
    s.seed = seed;
    s.channelBits = cb;
    out.push_back(s);
  };
  add(4, Rounding::Nearest, Dither::None, false, 0);
  add(1, Rounding::Nearest, Dither::None, false, 0);
  add(maxBits, Rounding::Nearest, Dither::None, false, 0);  // identity
  add(3, Rounding::Truncate, Dither::None, false, 0);
  add(2, Rounding::Stochastic, Dither::None, false, 12345);
  add(maxBits == 16 ? 11 : 5, Rounding::Seed, Dither::None, false, 0);
  add(2, Rounding::Nearest, Dither::Ordered, false, 0);
  add(3, Rounding::Nearest, Dither::None, true, 0);
  add(4, Rounding::Stochastic, Dither::None, true, 7);
  add(6, Rounding::Nearest, Dither::None, false, 0, {5, 6, maxBits == 16 ? 13 : 5});
  add(3, Rounding::Drop, Dither::None, false, 0);
  add(1, Rounding::Drop, Dither::None, true, 0);
  add(6, Rounding::Drop, Dither::None, false, 0, {5, 6, maxBits == 16 ? 13 : 5});
  return out;
}

void runUniform(GpuEnv env, GpuPath path, std::vector<SelftestRow>& rows) {
  UniformQuantizerGpu kernel(env);
  for (const core::Image& img : selftestImages()) {
    SelftestRow row{"uniform quantizer", UniformQuantizerGpu::kReference, gpuPathName(path), describeImage(img), 0, true, {}};
    for (const auto& s : uniformSettingsFor(img)) {
      ++row.cases;
      auto want = core::quantizeUniform(img, s);
      auto got = kernel.quantize(img, s, path);
      std::string why = !want ? "cpu: " + want.error() : !got ? got.error() : compareImages(*want, *got);
      if (!why.empty()) {
        row.pass = false;
        row.detail = std::string(core::roundingName(s.rounding)) + "/" + core::ditherName(s.dither) + " bits " +
                     std::to_string(s.bits) + (s.gray ? " gray" : "") + ": " + why;
        break;
      }
    }
    rows.push_back(std::move(row));
  }
  // The grid-stride loop: two work groups cover a whole image.
  GpuEnv few = env;
  few.limits.maxGroups = 2;
  UniformQuantizerGpu strided(few);
  const core::Image img = selftestImage(257, 131, 4, core::SampleType::U8, 9);
  core::UniformSettings s;
  s.bits = 3;
  s.rounding = core::Rounding::Stochastic;
  s.seed = 99;
  SelftestRow row{"uniform quantizer", UniformQuantizerGpu::kReference, gpuPathName(path),
                  describeImage(img) + ", 2 groups", 1, true, {}};
  auto want = core::quantizeUniform(img, s);
  auto got = strided.quantize(img, s, path);
  row.detail = !got ? got.error() : compareImages(*want, *got);
  row.pass = row.detail.empty();
  rows.push_back(std::move(row));
}

void runErrorMap(GpuEnv env, GpuPath path, std::vector<SelftestRow>& rows) {
  ErrorMapGpu kernel(env);
  for (const core::Image& img : selftestImages()) {
    SelftestRow row{"error map", ErrorMapGpu::kReference, gpuPathName(path), describeImage(img), 0, true, {}};
    core::UniformSettings q;
    q.bits = 2;
    const core::Image quant = core::quantizeUniform(img, q).value();
    for (ErrorMapSettings s : {ErrorMapSettings{ErrorMapMode::Absolute, 1}, ErrorMapSettings{ErrorMapMode::Absolute, 8},
                               ErrorMapSettings{ErrorMapMode::Signed, 1}, ErrorMapSettings{ErrorMapMode::Signed, 300}}) {
      ++row.cases;
      auto want = errorMapReference(img, quant, s);
      auto got = kernel.compute(img, quant, s, path);
      const std::string why = !got ? got.error() : compareImages(*want, *got);
      if (!why.empty()) {
        row.pass = false;
        row.detail = std::string(errorMapModeName(s.mode)) + " gain " + std::to_string(s.gain) + ": " + why;
        break;
      }
    }
    rows.push_back(std::move(row));
  }
}

void runHistogram(GpuEnv env, GpuPath, std::vector<SelftestRow>& rows) {
  HistogramGpu kernel(env);
  DeviceImage dev;
  for (const core::Image& img : selftestImages()) {
    SelftestRow row{"histogram", HistogramGpu::kReference, "compute", describeImage(img), 1, true, {}};
    const auto want = core::histograms(img);
    if (auto st = dev.upload(img); !st) row.detail = st.error();
    else if (auto got = kernel.run(dev); !got) row.detail = got.error();
    else if (*got != want) {
      for (std::size_t c = 0; c < want.size() && row.detail.empty(); ++c)
        for (std::size_t b = 0; b < 256; ++b)
          if ((*got)[c][b] != want[c][b]) {
            row.detail = "channel " + std::to_string(c) + " bin " + std::to_string(b) + ": cpu " +
                         std::to_string(want[c][b]) + ", gpu " + std::to_string((*got)[c][b]);
            break;
          }
    }
    row.pass = row.detail.empty();
    rows.push_back(std::move(row));
  }
}

void runErrorStats(GpuEnv env, GpuPath, std::vector<SelftestRow>& rows) {
  ErrorStatsGpu kernel(env);
  DeviceImage a, b;
  for (const core::Image& img : selftestImages()) {
    SelftestRow row{"error stats (MSE)", ErrorStatsGpu::kReference, "compute", describeImage(img), 2, true, {}};
    for (int bits : {1, 5}) {
      core::UniformSettings q;
      q.bits = bits;
      const core::Image quant = core::quantizeUniform(img, q).value();
      const std::uint64_t sse = core::sumSquaredError(img, quant);
      const std::uint32_t maxErr = core::maxAbsError(img, quant);
      if (auto st = a.upload(img); !st) row.detail = st.error();
      else if (auto st2 = b.upload(quant); !st2) row.detail = st2.error();
      else if (auto got = kernel.run(a, b); !got) row.detail = got.error();
      else if (got->sumSquaredError != sse || got->maxAbsError != maxErr)
        row.detail = "bits " + std::to_string(bits) + ": cpu sse " + std::to_string(sse) + " max " +
                     std::to_string(maxErr) + ", gpu sse " + std::to_string(got->sumSquaredError) + " max " +
                     std::to_string(got->maxAbsError);
      if (!row.detail.empty()) break;
    }
    row.pass = row.detail.empty();
    rows.push_back(std::move(row));
  }
}

void runSsim(GpuEnv env, GpuPath, std::vector<SelftestRow>& rows) {
  SsimGpu kernel(env);
  DeviceImage a, b;
  std::vector<core::Image> images = selftestImages();
  images.push_back(selftestImage(11, 11, 3, core::SampleType::U8, 6));  // the smallest window that fits
  for (const core::Image& img : images) {
    SelftestRow row{"SSIM", SsimGpu::kReference, "compute", describeImage(img), 1, true, {}};
    core::UniformSettings q;
    q.bits = 3;
    const core::Image quant = core::quantizeUniform(img, q).value();
    const auto want = core::ssim(img, quant);
    if (auto st = a.upload(img); !st) row.detail = st.error();
    else if (auto st2 = b.upload(quant); !st2) row.detail = st2.error();
    else if (auto got = kernel.run(a, b); !got) row.detail = got.error();
    else if (want.has_value() != got->has_value())
      row.detail = want ? "gpu gave no value" : "gpu gave a value for an image smaller than the window";
    else if (want && std::abs(*want - **got) > kSsimTolerance) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "cpu %.9f, gpu %.9f (tolerance %g)", *want, **got, kSsimTolerance);
      row.detail = buf;
    }
    row.pass = row.detail.empty();
    rows.push_back(std::move(row));
  }
}

std::vector<float> blockwiseInput(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t h = core::lowbias32(std::uint32_t(i) * 2654435761u ^ 0x7e45u);
    x[i] = (i % 97 == 5) ? 0.0f : (float(h >> 8) / 16777216.0f - 0.5f) * float(1 + (h & 7u));
  }
  return x;
}

// A raw block format (FormatDesc::isRaw) on about n values, cut as the format allows: ggml's whole
// blocks of the flattened tensor (n rounded up to the block); MX one row of n (a padded last block),
// or rows of 40 for the largest n; NVFP4 one row rounded up to 16, or rows of 48. Blocks and codes
// equal core::quantizeBlockwise's, the GPU's dequantization of the CPU's blocks bit-identical.
void runRawFormat(BlockwiseQuantizerGpu& kernel, const ShaderLibrary& shaders, const core::FormatDesc& d, std::size_t n,
                  bool rows, std::vector<SelftestRow>& out) {
  const core::RawCodec& r = d.raw;
  const std::size_t bv = std::size_t(std::max(1, r.blockValues));
  core::BlockwiseSettings s;
  s.format = d.format;
  std::size_t count = (n + bv - 1) / bv * bv;
  if (r.rows == core::RowRule::PadRows) {
    count = rows ? n / 40 * 40 : n;
    s.rowLength = rows ? 40 : 0;
  } else if (r.rows == core::RowRule::WholeRows && rows) {
    count = n / 48 * 48;
    s.rowLength = 48;
  }
  std::string input = std::to_string(count) + " float32";
  if (s.rowLength) input += ", rows of " + std::to_string(s.rowLength);
  SelftestRow row{std::string("blockwise ") + d.name, BlockwiseQuantizerGpu::kReference, "compute", input, 1, true, {}};
  if (!RawFormatGpu::hasKernel(shaders, d) || !r.quantize || !r.dequantize || !r.codes ||
      (r.headerBytes && !r.tensorScale)) {
    row.skipped = true;
    row.cases = 0;
    row.detail = !d.hasRawBlocks() || !r.quantize || !r.dequantize || !r.codes || (r.headerBytes && !r.tensorScale)
                     ? std::string("no CPU codec for ") + d.name + " yet"
                     : RawFormatGpu::kernelFile(d) + " is not in " + shaders.dir();
    out.push_back(std::move(row));
    return;
  }
  const std::vector<float> x = blockwiseInput(count);
  auto cpu = core::quantizeBlockwise(x.data(), count, s);
  auto gpu = kernel.quantize(x.data(), count, s);
  if (!cpu || !gpu) {
    row.detail = cpu ? gpu.error() : cpu.error();
  } else if (cpu->blocks != gpu->blocks) {
    std::size_t i = 0;
    while (i < cpu->blocks.size() && i < gpu->blocks.size() && cpu->blocks[i] == gpu->blocks[i]) ++i;
    row.detail = "blocks differ from byte " + std::to_string(i) + " (" + RawFormatGpu::kReference + ")";
  } else if (cpu->codes != gpu->codes || cpu->rowLength != gpu->rowLength || cpu->blocksize != gpu->blocksize) {
    row.detail = "codes differ";
  } else {
    std::vector<float> want(count), got(count);
    core::dequantizeBlockwise(*cpu, want.data());
    if (auto st = kernel.dequantize(*cpu, got.data()); !st) row.detail = st.error();
    else if (std::memcmp(want.data(), got.data(), count * sizeof(float)) != 0)
      row.detail = std::string("dequantized values differ (") + RawFormatGpu::kDequantReference + ")";
  }
  row.pass = row.detail.empty();
  out.push_back(std::move(row));
}

// Block-wise tensor formats (every entry of core's format table; those that allow it also with double
// quantization) on awkward lengths:
// every field of core::quantizeBlockwise equal, dequantized floats bit-identical.
void runBlockwise(GpuEnv env, GpuPath, std::vector<SelftestRow>& rows) {
  BlockwiseQuantizerGpu kernel(env);
  for (std::size_t n : {std::size_t(1), std::size_t(4097), std::size_t(64 * 1000 + 33)}) {
    const std::vector<float> x = blockwiseInput(n);
    for (const core::FormatDesc& d : core::tensorFormats()) {
      if (d.isRaw()) {
        runRawFormat(kernel, *env.shaders, d, n, n > 4097, rows);
        continue;
      }
      const core::TensorFormat f = d.format;
      SelftestRow row{std::string("blockwise ") + d.name, BlockwiseQuantizerGpu::kReference,
                      "compute", std::to_string(n) + " float32", 0, true, {}};
      for (int bs : {32, 64, 4096})
        for (bool dq : {false, true}) {
          if (!row.detail.empty() || (dq && !d.doubleQuant)) break;
          core::BlockwiseSettings s;
          s.format = f;
          s.blocksize = bs;
          s.doubleQuant = dq;
          ++row.cases;
          const std::string what = "bs " + std::to_string(bs) + (dq ? " dq" : "") + ": ";
          auto cpu = core::quantizeBlockwise(x.data(), n, s);
          auto gpu = kernel.quantize(x.data(), n, s);
          if (!cpu || !gpu) {
            row.detail = what + (cpu ? gpu.error() : cpu.error());
            break;
          }
          std::size_t diffs = 0;
          for (std::size_t i = 0; i < n; ++i) diffs += cpu->codes[i] != gpu->codes[i];
          if (diffs || cpu->packed != gpu->packed || cpu->absmax != gpu->absmax || cpu->qabsmax != gpu->qabsmax ||
              cpu->zeroPoint != gpu->zeroPoint ||
              cpu->absmaxDq != gpu->absmaxDq || cpu->absmax2 != gpu->absmax2 || cpu->offset != gpu->offset ||
              cpu->blocks != gpu->blocks) {
            row.detail = what + std::to_string(diffs) + " codes differ (or packed/absmax/double-quant fields, ggml blocks)";
            break;
          }
          std::vector<float> want(n), got(n);
          core::dequantizeBlockwise(*cpu, want.data());
          if (auto st = kernel.dequantize(*cpu, got.data()); !st) {
            row.detail = what + st.error();
            break;
          }
          if (std::memcmp(want.data(), got.data(), n * sizeof(float)) != 0)
            row.detail = what + "dequantized values differ (" + BlockwiseQuantizerGpu::kDequantReference + ")";
        }
      row.pass = row.detail.empty();
      rows.push_back(std::move(row));
    }
  }
}

}  // namespace

const std::vector<SelftestCase>& selftestCases() {
  static const std::vector<SelftestCase> table = {
      {"uniform quantizer", UniformQuantizerGpu::kReference, true, runUniform},
      {"error map", ErrorMapGpu::kReference, true, runErrorMap},
      {"histogram", HistogramGpu::kReference, false, runHistogram},
      {"error stats (MSE)", ErrorStatsGpu::kReference, false, runErrorStats},
      {"SSIM", SsimGpu::kReference, false, runSsim},
      {"blockwise tensor formats", BlockwiseQuantizerGpu::kReference, false, runBlockwise},
  };
  return table;
}

SelftestReport runSelftest(GpuEnv env) {
  SelftestReport report;
  report.renderer = env.context->caps().renderer;
  for (const SelftestCase& c : selftestCases()) {
    for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
      if (path == GpuPath::Fragment && !c.fragmentPath) continue;
      if (auto st = env.context->supports(path); !st) {
        // Fragment-only contexts skip compute-only kernels with a visible (passing) note.
        if (path == GpuPath::Compute && !c.fragmentPath) {
          report.rows.push_back({c.kernel, c.reference, "compute", "-", 0, true, st.error(), true});
        }
        continue;
      }
      c.run(env, path, report.rows);
    }
  }
  return report;
}

}  // namespace qviz::gpu
