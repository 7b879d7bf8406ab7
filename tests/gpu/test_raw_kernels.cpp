// The raw block-format GPU kernels (shaders/raw_<family>.comp through gpu::RawFormatGpu) against
// the formats' reference vectors (tests/data/vectors/formats: blocks.bin byte for byte, dequant.npy
// bit for bit) and against the CPU core (core::quantizeRawBlocks / dequantizeRawBlocks) on awkward
// inputs: MX rows of 40 (padded blocks), one block, zeros, outliers, blocks of subnormals, nvfp4
// tensors with a subnormal tensor scale, and one- and three-group dispatch grids (grid-stride
// loops). Every format is found through the table; a format whose
// kernel file is not there yet, or whose CPU codec is missing, is skipped with a WARN.
#include <catch2/catch.hpp>
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "data_names.hpp"
#include "gpu/raw_kernels.hpp"
#include "gpu/tensor_kernels.hpp"
#include "gpu_fixture.hpp"
#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"
#include "tensor/npy.hpp"
#include "tensor/tensor.hpp"

using namespace qviz;
using namespace qviz::gpu;
using core::BlockwiseSettings;
using core::FormatDesc;
using qviz::test::GpuFixture;

namespace {

using qviz::test::loadF32;
using qviz::test::readFile;

std::string data(const std::string& rel) { return std::string(QVIZ_TEST_DATA) + "/" + rel; }


using qviz::test::vectorNames;

std::size_t firstByteDiff(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return a.size() == b.size() ? a.size() : n;
}
// Values whose bits differ (MXINT8: +0 == -0, as its reference says); the first one's index.
std::size_t floatDiffs(const std::vector<float>& want, const std::vector<float>& got, bool zeroSignFree, std::size_t& first) {
  std::size_t bad = 0;
  first = want.size();
  for (std::size_t i = 0; i < want.size(); ++i) {
    const bool same = zeroSignFree ? want[i] == got[i] : std::bit_cast<std::uint32_t>(want[i]) == std::bit_cast<std::uint32_t>(got[i]);
    if (!same && bad++ == 0) first = i;
  }
  return bad;
}

// Formats with raw blocks whose kernel file exists (WARN for the others).
std::vector<const FormatDesc*> kernelFormats(const ShaderLibrary& shaders) {
  std::vector<const FormatDesc*> out;
  for (const FormatDesc& d : core::tensorFormats()) {
    if (!d.hasRawBlocks() && !d.isRaw()) continue;
    if (!d.hasRawBlocks()) {
      WARN(d.name << ": no raw block layout in the table yet; skipped");
      continue;
    }
    if (!RawFormatGpu::hasKernel(shaders, d)) {
      WARN(d.name << ": " << RawFormatGpu::kernelFile(d) << " not written yet; skipped");
      continue;
    }
    out.push_back(&d);
  }
  return out;
}

bool hasCpuCodec(const FormatDesc& d) { return d.raw.quantize && d.raw.dequantize && (d.raw.headerBytes == 0 || d.raw.tensorScale); }

void checkVectors(RawFormatGpu& k, const FormatDesc& d, const std::string& input) {
  const std::string dir = "vectors/formats/" + input + "." + vectorNames().at(d.name) + "/";
  INFO(d.name << " on " << input);
  const auto x = loadF32("vectors/formats/inputs/" + input + ".npy");
  const auto blocks = readFile(data(dir + "blocks.bin"));
  const auto deq = loadF32(dir + "dequant.npy");
  REQUIRE(!blocks.empty());
  BlockwiseSettings s;
  s.format = d.format;
  // Dequantizing the reference's blocks gives its values, bit for bit.
  std::vector<float> out(x.size(), -7.0f);
  auto st = k.dequantize(blocks.data(), blocks.size(), x.size(), s, out.data());
  INFO(st.error());
  REQUIRE(st.ok());
  std::size_t first = 0;
  const std::size_t bad = floatDiffs(deq, out, std::string(d.name) == "mxint8", first);
  INFO("dequantize: first differing value " << first);
  CHECK(bad == 0);
  if (d.raw.headerBytes != 0 && !d.raw.tensorScale) {
    WARN(d.name << ": the codec's tensorScale is not in the table yet; GPU quantize not checked");
    return;
  }
  auto q = k.quantize(x.data(), x.size(), s);
  INFO(q.error());
  REQUIRE(q.ok());
  REQUIRE(q->size() == blocks.size());
  const std::size_t diff = firstByteDiff(*q, blocks);
  INFO("quantize: first differing byte " << diff << " (block "
                                         << (diff - std::size_t(d.raw.headerBytes)) / std::size_t(d.raw.blockBytes) << ")");
  CHECK(diff == blocks.size());
}

// GPU == CPU on x (quantize bytes; dequantize of the CPU's bytes).
void checkAgainstCpu(RawFormatGpu& k, const FormatDesc& d, const std::vector<float>& x, std::size_t rowLength, const char* what) {
  INFO(d.name << ": " << what << " (n " << x.size() << ", row " << rowLength << ")");
  BlockwiseSettings s;
  s.format = d.format;
  s.rowLength = rowLength;
  std::vector<std::uint8_t> cpu;
  auto st = core::quantizeRawBlocks(x.data(), x.size(), s, cpu);
  INFO(st.error());
  REQUIRE(st.ok());
  auto gpu = k.quantize(x.data(), x.size(), s);
  INFO(gpu.error());
  REQUIRE(gpu.ok());
  REQUIRE(gpu->size() == cpu.size());
  const std::size_t diff = firstByteDiff(*gpu, cpu);
  INFO("first differing byte " << diff);
  CHECK(diff == cpu.size());
  std::vector<float> want(x.size()), got(x.size(), -7.0f);
  REQUIRE(core::dequantizeRawBlocks(cpu.data(), cpu.size(), x.size(), s, want.data()).ok());
  REQUIRE(k.dequantize(cpu.data(), cpu.size(), x.size(), s, got.data()).ok());
  std::size_t first = 0;
  const std::size_t bad = floatDiffs(want, got, false, first);
  INFO("first differing value " << first);
  CHECK(bad == 0);
}

std::vector<float> normal(std::size_t n, std::uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

}  // namespace

TEST_CASE("raw gpu: the kernel file and define names", "[gpu][raw]") {
  const FormatDesc* q4k = core::findFormat(std::string_view("q4_k"));
  REQUIRE(q4k);
  CHECK(RawFormatGpu::kernelFile(*q4k) == "raw_ggml_kquants.comp");
  CHECK(RawFormatGpu::formatDefine(*q4k) == "FMT_Q4_K");
  CHECK(RawFormatGpu::formatDefine(*core::findFormat(std::string_view("mxfp6-e3m2"))) == "FMT_MXFP6_E3M2");
  CHECK(RawFormatGpu::formatDefine(*core::findFormat(std::string_view("nvfp4-1level"))) == "FMT_NVFP4_1LEVEL");
  CHECK(RawFormatGpu::formatDefine(*core::findFormat(std::string_view("iq4_nl-ntry7"))) == "FMT_IQ4_NL_NTRY7");
}

TEST_CASE("raw gpu: the float32 log2 boundary table", "[gpu][raw]") {
  const std::vector<std::uint32_t>& t = log2RoundUpTable();
  REQUIRE(t.size() == 277);
  // FORMATS.md §6.1: the largest 2 floats below 256 have float32 log2 == 8.
  CHECK(t[7 + 149] == std::bit_cast<std::uint32_t>(256.0f) - 2);
  // Every entry: the value there rounds up, the one before it does not (or none in the binade does).
  for (int k = -149; k <= 127; ++k) {
    const std::uint32_t b = t[std::size_t(k + 149)];
    const std::uint32_t lo = k < -126 ? (1u << (k + 149)) : std::uint32_t(k + 127) << 23;
    INFO("binade " << k);
    REQUIRE(b > lo);
    auto fl = [](std::uint32_t bits) { return std::floor(float(std::log2(double(std::bit_cast<float>(bits))))); };
    CHECK(fl(b - 1) == float(k));
    if (k < 127) CHECK(fl(b) == float(k + 1));
  }
}

// One section per format and input: test_gpu "[raw]" -c "mxfp4" ... runs one.
TEST_CASE("raw gpu: blocks.bin and dequant.npy equal the reference vectors", "[gpu][raw]") {
  GpuFixture fx;
  RawFormatGpu k(fx.env());
  for (const FormatDesc* d : kernelFormats(fx.shaders()))
    for (const char* input : {"normal_8192", "heavy_8192"}) {
      DYNAMIC_SECTION(d->name << " " << input) { checkVectors(k, *d, input); }
    }
  fx.checkClean("raw vectors");
}

TEST_CASE("raw gpu: equal to the CPU core on awkward inputs and tiny grids", "[gpu][raw]") {
  GpuFixture fx;
  GpuEnv env = fx.env();
  const std::uint32_t groups = GENERATE(65535u, 1u, 3u);
  env.limits.maxGroups = groups;
  RawFormatGpu k(env);
  INFO("maxGroups " << groups);
  for (const FormatDesc* d : kernelFormats(fx.shaders())) {
    if (!hasCpuCodec(*d)) {
      WARN(d->name << ": the CPU codec is not in the table yet; GPU == CPU not checked");
      continue;
    }
    const std::size_t bv = std::size_t(d->raw.blockValues);
    DYNAMIC_SECTION(d->name) {
      // Many blocks (more than 3 groups of 64 invocations), normal values.
      checkAgainstCpu(k, *d, normal(bv * 300, 11), 0, "300 blocks");
      // One block.
      checkAgainstCpu(k, *d, normal(bv, 12), 0, "one block");
      // All zeros (nvfp4: outside torchao's contract, pts = 0; the core's rule for it).
      checkAgainstCpu(k, *d, std::vector<float>(bv * 4, 0.0f), 0, "zeros");
      // Outliers, mixed magnitudes, a zero block, -0.0 and exact ties of small grids.
      std::vector<float> x = normal(bv * 8, 13, 0.02f);
      for (std::size_t i = 0; i < x.size(); i += 97) x[i] = (i % 2 ? 40.0f : -40.0f) * 0.02f * float(1 + i % 5);
      std::fill(x.begin() + std::ptrdiff_t(bv), x.begin() + std::ptrdiff_t(2 * bv), 0.0f);
      x[2 * bv] = -0.0f;
      for (std::size_t i = 0; i < bv; ++i) x[3 * bv + i] = float(int(i) - int(bv / 2)) * 0.25f;
      for (std::size_t i = 0; i < bv; ++i) x[4 * bv + i] = float(int(i % 13) - 6) * 1e-3f + (i == 0 ? 3.0e4f : 0.0f);
      checkAgainstCpu(k, *d, x, 0, "outliers, ties, zero and tiny blocks");
      // Rows: MX rows of 40 (a padded block per row); NVFP4 rows of 48.
      if (d->raw.rows == core::RowRule::PadRows) {
        checkAgainstCpu(k, *d, normal(40 * 7, 14), 40, "rows of 40");
        checkAgainstCpu(k, *d, normal(5, 16), 0, "one row of 5 values (a single padded block)");
      }
      if (d->raw.rows == core::RowRule::WholeRows) checkAgainstCpu(k, *d, normal(48 * 5, 15), 48, "rows of 48");
    }
  }
  fx.checkClean("raw vs cpu");
}

TEST_CASE("raw gpu: refusals as the core's", "[gpu][raw]") {
  GpuFixture fx;
  RawFormatGpu k(fx.env());
  const FormatDesc* d = core::findFormat(std::string_view("q4_1"));
  REQUIRE(d);
  if (!RawFormatGpu::hasKernel(fx.shaders(), *d)) return;
  BlockwiseSettings s;
  s.format = d->format;
  std::vector<float> x(33, 1.0f);
  auto q = k.quantize(x.data(), x.size(), s);
  REQUIRE(!q.ok());
  CHECK(q.error() == core::validateBlockwiseShape(s, x.size()).error());
  x.resize(64);
  x[40] = std::numeric_limits<float>::quiet_NaN();
  q = k.quantize(x.data(), x.size(), s);
  REQUIRE(!q.ok());
  CHECK(q.error().find("value 40") != std::string::npos);
  std::vector<std::uint8_t> blocks(39, 0);
  std::vector<float> out(64);
  CHECK(!k.dequantize(blocks.data(), blocks.size(), 64, s, out.data()).ok());
}

// BlockwiseQuantizerGpu (what `quantize-tensor --backend gpu --check` and the selftest run) hands
// raw formats to RawFormatGpu: the same QuantizedTensor as core::quantizeBlockwise (blocks, each
// value's code, row length), and q8_0/q4_0 get their ggml blocks too.
TEST_CASE("raw gpu: BlockwiseQuantizerGpu equals core::quantizeBlockwise on raw formats", "[gpu][raw]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  for (const FormatDesc* d : kernelFormats(fx.shaders())) {
    if (!hasCpuCodec(*d) || !d->raw.codes) {
      WARN(d->name << ": the CPU codec is not in the table yet; not checked");
      continue;
    }
    DYNAMIC_SECTION(d->name) {
      BlockwiseSettings s;
      s.format = d->format;
      const bool rows = d->raw.rows != core::RowRule::Flat;
      s.rowLength = d->raw.rows == core::RowRule::PadRows ? 40 : rows ? 48 : 0;
      const std::vector<float> x = normal(rows ? 480 : std::size_t(d->raw.blockValues) * 9, 21);
      auto cpu = core::quantizeBlockwise(x.data(), x.size(), s);
      REQUIRE(cpu.ok());
      auto gpu = k.quantize(x.data(), x.size(), s);
      INFO(gpu.error());
      REQUIRE(gpu.ok());
      CHECK(gpu->blocks == cpu->blocks);
      CHECK(gpu->codes == cpu->codes);
      CHECK(gpu->n == cpu->n);
      CHECK(gpu->blocksize == cpu->blocksize);
      CHECK(gpu->rowLength == cpu->rowLength);
      CHECK(gpu->absmax == cpu->absmax);
      CHECK(gpu->packed == cpu->packed);
      std::vector<float> want(x.size()), got(x.size(), -7.0f);
      core::dequantizeBlockwise(*cpu, want.data());
      REQUIRE(k.dequantize(*cpu, got.data()).ok());
      std::size_t first = 0;
      CHECK(floatDiffs(want, got, false, first) == 0);
    }
  }
  fx.checkClean("blockwise raw");
}

// Blocks of float32 subnormals (ggml's rule of FORMATS.md §2: the scaled values are +-inf and every
// code 0; MX: a shared exponent of -127 with normal element values; ggml-mxfp4's wrapped E8M0) and
// blocks just above the subnormal range; for nvfp4 (two-level) the same blocks with one block of
// 1.0 too, so that the tensor scale is normal (without it, see the next case).
TEST_CASE("raw gpu: blocks of subnormals equal the CPU", "[gpu][raw]") {
  GpuFixture fx;
  GpuEnv env = fx.env();
  const std::uint32_t groups = GENERATE(65535u, 1u, 3u);
  env.limits.maxGroups = groups;
  INFO("maxGroups " << groups);
  RawFormatGpu k(env);
  for (const FormatDesc* d : kernelFormats(fx.shaders())) {
    if (!hasCpuCodec(*d)) continue;
    const std::size_t bv = std::size_t(d->raw.blockValues);
    std::vector<float> x(bv * 4);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 7) - 3) * 1e-40f * float(1 + i / bv);
    for (std::size_t i = 0; i < bv; ++i) x[3 * bv + i] = float(int(i % 7) - 3) * 3e-38f;
    DYNAMIC_SECTION(d->name) {
      checkAgainstCpu(k, *d, x, 0, "subnormal blocks");
      if (d->raw.headerBytes) {
        x.insert(x.end(), bv, 1.0f);
        checkAgainstCpu(k, *d, x, 0, "subnormal blocks and a block of 1.0");
      }
    }
  }
  fx.checkClean("raw subnormals");
}

// nvfp4 (two-level) on tensors whose max |x| is tiny, where pts = amax / 2688 is a float32
// subnormal: 1/pts still finite (max |x| in [2^-128 * 2688, 2^-126 * 2688), about 7.9e-36 to
// 3.2e-35; r = bs / pts divides by a subnormal), 1/pts overflowing (the core's rule for a tensor
// outside torchao's contract: scale code 0x08, element codes 0), and pts just normal. Several
// blocks of different magnitudes each, so that blocks of a tensor get different scales.
TEST_CASE("raw gpu: nvfp4 with a subnormal tensor scale equals the CPU", "[gpu][raw]") {
  GpuFixture fx;
  GpuEnv env = fx.env();
  const std::uint32_t groups = GENERATE(65535u, 1u, 3u);
  env.limits.maxGroups = groups;
  INFO("maxGroups " << groups);
  RawFormatGpu k(env);
  const FormatDesc* d = core::findFormat(std::string_view("nvfp4"));
  REQUIRE(d);
  if (!RawFormatGpu::hasKernel(fx.shaders(), *d) || !hasCpuCodec(*d)) return;
  // The largest |x| of each tensor: the boundaries of the ranges above and values inside them.
  const float p126 = std::ldexp(1.0f, -126), p128 = std::ldexp(1.0f, -128);
  for (const float amax : {3.0e-35f, 2.0e-35f, 1.0e-35f, 8.0e-36f, 2688.0f * p128, std::nextafter(2688.0f * p128, 0.0f),
                           5.0e-36f, 1.0e-38f, 1.2e-39f, 1.0e-44f, 2688.0f * p126, 4.0e-35f}) {
    std::vector<float> x = normal(16 * 40, 31);
    float m = 0.0f;
    for (float v : x) m = std::max(m, std::abs(v));
    // Blocks scaled down by 1, 1/3, 1/50, ... 1/10^6 of the tensor's max, so their r spans E4M3.
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float f = amax / m / float(i / 16 % 5 == 0 ? 1 : i / 16 % 5 == 1 ? 3 : i / 16 % 5 == 2 ? 50 : i / 16 % 5 == 3 ? 1000 : 1000000);
      x[i] = x[i] * f;
    }
    x[5] = x[5] < 0 ? -amax : amax;  // the exact max
    std::fill(x.begin() + 16 * 7, x.begin() + 16 * 8, 0.0f);  // a zero block
    const float pts = d->raw.tensorScale(amax);
    INFO("max |x| " << amax << ", pts " << pts << ", 1/pts " << 1.0f / pts);
    checkAgainstCpu(k, *d, x, 0, "tiny tensor");
  }
  fx.checkClean("nvfp4 tiny tensors");
}

// 16M values per raw format with a kernel (the k-quants too), the device-resident steps only
// (upload and read back outside the clock; one warm-up run first, which also builds the programs):
// test_gpu "[raw-bench]" prints the times as WARN lines.
TEST_CASE("raw gpu: time of 16M values per format", "[.][raw-bench]") {
  GpuFixture fx;
  RawFormatGpu k(fx.env());
  const std::size_t n = std::size_t(1) << 24;
  const std::vector<float> base = normal(8192, 41);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = base[i % base.size()] * (1.0f + float(i / base.size()) * 1e-3f);
  for (const FormatDesc* d : kernelFormats(fx.shaders())) {
    BlockwiseSettings s;
    s.format = d->format;
    REQUIRE(k.upload(x.data(), n, s).ok());
    REQUIRE(k.runQuantize().ok());  // builds the program and warms up
    REQUIRE(k.runDequantize().ok());
    glFinish();
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(k.runQuantize().ok());
    glFinish();
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(k.runDequantize().ok());
    glFinish();
    const auto t2 = std::chrono::steady_clock::now();
    const double tq = std::chrono::duration<double>(t1 - t0).count(), td = std::chrono::duration<double>(t2 - t1).count();
    WARN(d->name << ": 16M values quantize " << tq * 1e3 << " ms, dequantize " << td * 1e3 << " ms");
  }
}
