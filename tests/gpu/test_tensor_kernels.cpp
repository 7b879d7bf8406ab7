// Parity of the GPU block-wise tensor kernels (NF4/FP4, double quantization) with
// core::quantizeBlockwise / core::dequantizeBlockwise: exact codes, packed bytes, absmax and
// double-quantization fields, bit-identical dequantized floats; odd lengths, partial blocks, every
// blocksize, all-zero blocks, the bitsandbytes reference vectors and tiny dispatch grids.
#include <catch2/catch.hpp>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "gpu/tensor_kernels.hpp"
#include "gpu_fixture.hpp"
#include "tensor/npy.hpp"
#include "tensor/tensor.hpp"

using namespace qviz;
using namespace qviz::gpu;
using core::BlockwiseSettings;
using core::QuantizedTensor;
using core::TensorFormat;
using qviz::test::GpuFixture;

namespace {
std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

std::vector<float> randomTensor(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> x(n);
  for (auto& v : x) v = d(rng);
  return x;
}

std::size_t floatDiffs(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::max(a.size(), b.size()) + 1;
  std::size_t d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += bits(a[i]) != bits(b[i]);
  return d;
}

// Dequantizes q on both sides: bit-identical floats.
void checkDequant(BlockwiseQuantizerGpu& k, const QuantizedTensor& q) {
  std::vector<float> want(q.n);
  core::dequantizeBlockwise(q, want.data());
  std::vector<float> got = want;
  std::fill(got.begin(), got.end(), -7.0f);
  REQUIRE(k.dequantize(q, got.data()).ok());
  CHECK(floatDiffs(want, got) == 0);
}

// Quantizes on both sides and compares every field; then dequantizes the CPU tensor on the GPU.
void checkParity(BlockwiseQuantizerGpu& k, const std::vector<float>& x, const BlockwiseSettings& s) {
  INFO(core::tensorFormatName(s.format) << " bs " << s.blocksize << (s.doubleQuant ? " dq" : "") << " n " << x.size());
  auto cpu = core::quantizeBlockwise(x.data(), x.size(), s);
  REQUIRE(cpu.ok());
  auto gpu = k.quantize(x.data(), x.size(), s);
  INFO(gpu.error());
  REQUIRE(gpu.ok());
  std::size_t firstCode = 0;
  while (firstCode < x.size() && gpu->codes[firstCode] == cpu->codes[firstCode]) ++firstCode;
  INFO("first differing code at " << firstCode << " of x = " << (firstCode < x.size() ? x[firstCode] : 0.0f));
  CHECK(gpu->codes == cpu->codes);
  CHECK(gpu->packed == cpu->packed);
  CHECK(floatDiffs(gpu->absmax, cpu->absmax) == 0);
  CHECK(gpu->qabsmax == cpu->qabsmax);
  CHECK(floatDiffs(gpu->absmax2, cpu->absmax2) == 0);
  CHECK(floatDiffs(gpu->absmaxDq, cpu->absmaxDq) == 0);
  CHECK(bits(gpu->offset) == bits(cpu->offset));
  checkDequant(k, *cpu);
  if (core::formatCodeBits(s.format) != 4) return;  // only 4-bit formats have packed nibbles
  QuantizedTensor packedOnly = *cpu;
  packedOnly.codes.clear();
  checkDequant(k, packedOnly);
}

std::vector<float> loadF32(const std::string& rel) {
  auto t = core::readNpy(std::string(QVIZ_TEST_DATA) + "/" + rel);
  REQUIRE(t.ok());
  return core::toFloat32(*t);
}
std::vector<std::uint8_t> loadU8(const std::string& rel) {
  auto t = core::readNpy(std::string(QVIZ_TEST_DATA) + "/" + rel);
  REQUIRE(t.ok());
  return t->bytes;
}
}  // namespace

TEST_CASE("blockwise gpu: nf4/fp4 parity at odd lengths and partial blocks", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  for (TensorFormat f : {TensorFormat::NF4, TensorFormat::FP4})
    for (bool dq : {false, true})
      for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(64), std::size_t(65), std::size_t(1001),
                            std::size_t(64 * 300 + 33), std::size_t(64 * 512)}) {
        BlockwiseSettings s;
        s.format = f;
        s.blocksize = 64;
        s.doubleQuant = dq;
        checkParity(k, randomTensor(n, std::uint32_t(n) * 31u + unsigned(f), 0.5f), s);
      }
  fx.checkClean("parity");
}

TEST_CASE("blockwise gpu: every nf4 blocksize, with and without double quantization", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  const auto x = randomTensor(3 * 4096 + 777, 5);
  for (int bs = 32; bs <= 4096; bs *= 2)
    for (bool dq : {false, true}) {
      BlockwiseSettings s;
      s.format = TensorFormat::NF4;
      s.blocksize = bs;
      s.doubleQuant = dq;
      checkParity(k, x, s);
    }
}

TEST_CASE("blockwise gpu: all-zero blocks and exact midpoints", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  std::vector<float> x(64 * 5 + 3, 0.0f);
  // Block 1 holds the code values and the midpoints of both tables (scaled by absmax 1).
  for (std::size_t i = 0; i < 16; ++i) x[64 + i] = core::nf4Table()[i];
  for (std::size_t i = 0; i < 16; ++i) x[80 + i] = core::fp4Table()[i];
  for (std::size_t i = 0; i + 1 < 16; ++i) x[96 + i] = (core::nf4Table()[i] + core::nf4Table()[i + 1]) * 0.5f;
  x[64 * 3 + 5] = -3.0f;
  for (TensorFormat f : {TensorFormat::NF4, TensorFormat::FP4})
    for (bool dq : {false, true}) {
      BlockwiseSettings s;
      s.format = f;
      s.doubleQuant = dq;
      checkParity(k, x, s);
      checkParity(k, std::vector<float>(100, 0.0f), s);
    }
}

TEST_CASE("blockwise gpu: the partial last block divides exactly (values near midpoints)", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  for (TensorFormat f : {TensorFormat::NF4, TensorFormat::FP4}) {
    std::vector<float> sorted(f == TensorFormat::NF4 ? core::nf4Table() : core::fp4Table());
    std::sort(sorted.begin(), sorted.end());
    // Absmax values for which x * (1/a) and x / a fall on different sides of a midpoint for some x:
    // a GPU that multiplies instead of dividing in the partial block codes those differently.
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> pick(0.5f, 4.0f);
    int found = 0;
    for (int trial = 0; trial < 400 && found < 6; ++trial) {
      const float a = pick(rng), inv = 1.0f / a;
      std::vector<float> x(512 + 64, 0.25f);  // one full block (blocksize 512), then the partial one
      x.push_back(a);
      bool differs = false;
      for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
        const float mid = float((double(sorted[i]) + double(sorted[i + 1])) * 0.5);
        float v = mid * a;
        for (int step = 0; step < 8; ++step) v = std::nextafter(v, -1e30f);
        for (int step = 0; step < 17; ++step, v = std::nextafter(v, 1e30f)) {
          x.push_back(v);
          differs = differs || ((v * inv > mid) != (v / a > mid));
        }
      }
      if (!differs) continue;
      ++found;
      for (bool dq : {false, true}) {
        BlockwiseSettings s;
        s.format = f;
        s.blocksize = 512;
        s.doubleQuant = dq;
        checkParity(k, x, s);
      }
    }
    CHECK(found > 0);
  }
}

TEST_CASE("blockwise gpu: tiny dispatch grids (grid-stride loops)", "[gpu][tensor]") {
  GpuFixture fx;
  for (std::uint32_t groups = 1; groups <= 3; ++groups) {
    GpuEnv env = fx.env();
    env.limits.maxGroups = groups;
    BlockwiseQuantizerGpu k(env);
    INFO("maxGroups " << groups);
    for (bool dq : {false, true}) {
      BlockwiseSettings s;
      s.format = groups == 2 ? TensorFormat::FP4 : TensorFormat::NF4;
      s.blocksize = 32;
      s.doubleQuant = dq;
      checkParity(k, randomTensor(32 * 700 + 19, groups), s);
    }
  }
}

TEST_CASE("blockwise gpu: bitsandbytes reference vectors exactly", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  const auto x = loadF32("vectors/normal_4096.npy");
  for (const char* dirName : {"nf4.bs64", "fp4.bs64", "nf4.bs64.dq"}) {
    const std::string dir = std::string("vectors/normal_4096.") + dirName + "/";
    INFO(dir);
    BlockwiseSettings s;
    s.format = dirName[0] == 'n' ? TensorFormat::NF4 : TensorFormat::FP4;
    s.doubleQuant = std::strstr(dirName, ".dq") != nullptr;
    auto q = k.quantize(x.data(), x.size(), s);
    REQUIRE(q.ok());
    CHECK(q->codes == loadU8(dir + "codes.npy"));
    CHECK(q->packed == loadU8(dir + "packed.npy"));
    CHECK(floatDiffs(q->absmax, loadF32(dir + "absmax.npy")) == 0);
    if (s.doubleQuant) {
      CHECK(q->qabsmax == loadU8(dir + "qabsmax.npy"));
      CHECK(floatDiffs(q->absmax2, loadF32(dir + "absmax2.npy")) == 0);
      CHECK(floatDiffs(q->absmaxDq, loadF32(dir + "absmax_dq.npy")) == 0);
    }
    std::vector<float> out(x.size());
    REQUIRE(k.dequantize(*q, out.data()).ok());
    CHECK(floatDiffs(out, loadF32(dir + "dequant.npy")) == 0);
  }
}

TEST_CASE("blockwise gpu: int, uint, fp8 and ggml formats equal the CPU", "[gpu][tensor]") {
  GpuFixture fx;
  // Every format of the table on the block-statistics kernels (int8/4/2, uint8/4, fp8, q8_0, q4_0).
  std::vector<TensorFormat> formats;
  for (const core::FormatDesc& d : core::tensorFormats())
    if (d.gpuKernel == core::GpuKernel::BlockStats) formats.push_back(d.format);
  CHECK(formats.size() >= 9);
  for (std::uint32_t groups : {65535u, 1u, 3u}) {
    GpuEnv env = fx.env();
    env.limits.maxGroups = groups;
    BlockwiseQuantizerGpu k(env);
    INFO("maxGroups " << groups);
    for (TensorFormat f : formats)
      for (int bs : {32, 64, 4096}) {
        const int fixed = core::formatDesc(f).fixedBlocksize;
        if (fixed && bs != fixed) continue;
        BlockwiseSettings s;
        s.format = f;
        s.blocksize = bs;
        for (std::size_t n : {std::size_t(1), std::size_t(33), std::size_t(4097), std::size_t(32 * 211 + 7)}) {
          auto x = randomTensor(n, std::uint32_t(n) + unsigned(f) * 7u, 2.0f);
          // An all-zero block, an all-positive one and a value exactly halfway (ggml, int rounding).
          for (std::size_t i = 0; i < std::min<std::size_t>(n, 32); ++i) x[i] = 0.0f;
          if (n > 64)
            for (std::size_t i = 32; i < 64; ++i) x[i] = std::fabs(x[i]) + 0.25f;
          checkParity(k, x, s);
        }
      }
  }
  fx.checkClean("formats");
}

TEST_CASE("blockwise gpu: ggml fp16 scale overflow is an error like the CPU", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  std::vector<float> x(40, 1.0f);
  x[35] = 1e10f;
  BlockwiseSettings s;
  s.format = TensorFormat::Q8_0;
  auto cpu = core::quantizeBlockwise(x.data(), x.size(), s);
  auto gpu = k.quantize(x.data(), x.size(), s);
  REQUIRE_FALSE(cpu.ok());
  REQUIRE_FALSE(gpu.ok());
  CHECK(gpu.error() == cpu.error());
}

TEST_CASE("blockwise gpu: refuses NaN and bad settings", "[gpu][tensor]") {
  GpuFixture fx;
  BlockwiseQuantizerGpu k(fx.env());
  std::vector<float> x(10, 1.0f);
  x[4] = std::numeric_limits<float>::quiet_NaN();
  BlockwiseSettings s;
  auto q = k.quantize(x.data(), x.size(), s);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().find("value 4") != std::string::npos);
  s.blocksize = 48;
  x[4] = 0.0f;
  CHECK_FALSE(k.quantize(x.data(), x.size(), s).ok());
}
