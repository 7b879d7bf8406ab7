// OCP MX (mxfp4, mxfp6, mxfp8, mxint8) and NVFP4 (two-level, 1-level) edge cases with exact
// expected bytes and values (FORMATS.md §6, §7): zero blocks, subnormal inputs, saturation, ties,
// the float32 addition of t + 0.5f, the log2f boundary of the E8M0 exponent, rows that are not a
// multiple of the block, the nvfp4 header, the all-zero nvfp4 tensor and inspect(). The reference
// vectors themselves: test_raw_formats.cpp.
#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"
#include "quant/formats/mx.hpp"
#include "util/parallel.hpp"

using namespace qviz::core;

namespace {

std::uint32_t bitsOf(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float floatOf(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

BlockwiseSettings settings(TensorFormat f, std::size_t rowLength = 0) {
  BlockwiseSettings s;
  s.format = f;
  s.rowLength = rowLength;
  return s;
}

std::vector<std::uint8_t> quantize(const std::vector<float>& x, const BlockwiseSettings& s) {
  std::vector<std::uint8_t> out;
  const Status st = quantizeRawBlocks(x.data(), x.size(), s, out);
  INFO(st.error());
  REQUIRE(st.ok());
  return out;
}

std::vector<float> dequantize(const std::vector<std::uint8_t>& blocks, std::size_t n, const BlockwiseSettings& s) {
  std::vector<float> out(n, -1.0f);
  REQUIRE(dequantizeRawBlocks(blocks.data(), blocks.size(), n, s, out.data()).ok());
  return out;
}

// The 32 element codes of one MX block (codes bits wide, FORMATS.md §6.3).
std::vector<std::uint32_t> mxCodes(const std::uint8_t* block, int bits) {
  std::vector<std::uint32_t> c(32);
  for (int i = 0; i < 32; ++i) {
    std::uint32_t v = 0;
    for (int k = 0; k < bits; ++k) {
      const int bit = i * bits + k;
      v |= std::uint32_t((block[1 + bit / 8] >> (bit % 8)) & 1) << k;
    }
    c[std::size_t(i)] = v;
  }
  return c;
}

bool sameBits(float a, float b) { return bitsOf(a) == bitsOf(b); }

const TensorFormat kMx[] = {TensorFormat::MXFP4,     TensorFormat::MXFP6E3M2, TensorFormat::MXFP6E2M3,
                            TensorFormat::MXFP8E4M3, TensorFormat::MXFP8E5M2, TensorFormat::MXINT8};

}  // namespace

TEST_CASE("mx: the E8M0 exponent from the bits equals floor((float)log2((double)amax)) near every boundary", "[formats][mx]") {
  // In every binade [2^e, 2^(e+1)) of the positive finite floats (subnormal ones included): its
  // first 2^10 and its last 2^14 floats, where the float32 log2 rounds up to e + 1 (that run is at
  // most a few hundred floats long: checked to stay within the window's upper half).
  std::atomic<std::size_t> bad{0}, roundUps{0}, longRuns{0};
  std::atomic<std::uint32_t> firstBad{0};
  parallelFor(277, 1, [&](std::size_t a, std::size_t b) {
    for (std::size_t k = a; k < b; ++k) {
      const int e = int(k) - 149;
      const std::uint32_t lo = e >= -126 ? std::uint32_t(e + 127) << 23 : 1u << (e + 149);
      const std::uint32_t hi = e == 127 ? 0x7f800000u : e >= -127 ? std::uint32_t(e + 128) << 23 : 1u << (e + 150);
      const std::uint32_t head = std::min<std::uint32_t>(1024, hi - lo), tail = std::min<std::uint32_t>(1u << 14, hi - lo);
      std::size_t ups = 0;
      for (auto [r0, r1] : {std::pair{lo, lo + head}, std::pair{hi - tail, hi}})
        for (std::uint32_t u = r0; u < r1; ++u) {
          const float x = floatOf(u);
          const int ref = mx::floorLog2fReference(x);
          if (mx::floorLog2f(x) != ref && bad++ == 0) firstBad = u;
          if (ref == e + 1) ++ups;
        }
      roundUps += ups;
      if (tail == (1u << 14) && ups >= tail / 2) ++longRuns;
    }
  });
  INFO("first differing pattern " << std::hex << firstBad.load());
  CHECK(bad == 0);
  CHECK(longRuns == 0);
  CHECK(roundUps > 0);  // the boundaries are there (about 40 floats below 2^-100 alone)
  // The contract's examples: the largest two floats below 256 give 8, the third 7.
  CHECK(mx::floorLog2fReference(floatOf(0x437FFFFFu)) == 8);
  CHECK(mx::floorLog2fReference(floatOf(0x437FFFFEu)) == 8);
  CHECK(mx::floorLog2fReference(floatOf(0x437FFFFDu)) == 7);
  CHECK(mx::floorLog2f(floatOf(0x437FFFFFu)) == 8);
  CHECK(mx::floorLog2f(floatOf(0x437FFFFEu)) == 8);
  CHECK(mx::floorLog2f(floatOf(0x437FFFFDu)) == 7);
  CHECK(mx::floorLog2f(std::numeric_limits<float>::denorm_min()) == -149);
  CHECK(mx::floorLog2f(std::numeric_limits<float>::max()) == 128);
  CHECK(mx::floorLog2f(1.0f) == 0);
}

// Every positive finite float (2^31 log2 calls: about a minute on 2 cores). Run it with
// test_core "[.exhaustive]".
TEST_CASE("mx: the E8M0 exponent equals the reference for every positive finite float", "[.exhaustive]") {
  std::atomic<std::size_t> bad{0};
  parallelFor(0x7f800000u >> 16, 1, [&](std::size_t a, std::size_t b) {
    std::size_t local = 0;
    for (std::uint32_t u = std::uint32_t(a << 16); u < std::uint32_t(b << 16); ++u)
      if (u && mx::floorLog2f(floatOf(u)) != mx::floorLog2fReference(floatOf(u))) ++local;
    bad += local;
  });
  CHECK(bad == 0);
}

TEST_CASE("mx: an all-zero block has E8M0 code 0 (mxint8: 1) and zero codes, decoding to +0", "[formats][mx]") {
  for (TensorFormat f : kMx) {
    const FormatDesc& d = formatDesc(f);
    INFO(d.name);
    std::vector<float> x(64, 0.0f);
    x[40] = -0.0f;  // -0.0 in gives +0 out
    const auto s = settings(f);
    const auto b = quantize(x, s);
    REQUIRE(b.size() == 2u * std::size_t(d.raw.blockBytes));
    for (std::size_t blk = 0; blk < 2; ++blk) {
      CHECK(b[blk * std::size_t(d.raw.blockBytes)] == (f == TensorFormat::MXINT8 ? 1 : 0));
      for (int i = 1; i < d.raw.blockBytes; ++i) CHECK(b[blk * std::size_t(d.raw.blockBytes) + std::size_t(i)] == 0);
    }
    for (float v : dequantize(b, x.size(), s)) CHECK(sameBits(v, 0.0f));
  }
}

TEST_CASE("mx: subnormal inputs: the scale exponent clamps at -127 and the elements are exact", "[formats][mx]") {
  SECTION("mxfp4: the smallest subnormal rounds to zero") {
    std::vector<float> x(32, 0.0f);
    x[0] = std::numeric_limits<float>::denorm_min();  // E = -149, se = -151 -> -127
    const auto b = quantize(x, settings(TensorFormat::MXFP4));
    CHECK(b[0] == 0);
    CHECK(mxCodes(b.data(), 4)[0] == 0);
  }
  SECTION("mxfp8-e4m3: 2^-130 is 0.125 * 2^-127") {
    std::vector<float> x(32, 0.0f);
    x[3] = std::ldexp(1.0f, -130);
    x[4] = -std::ldexp(1.0f, -133);  // v = -2^-6: the smallest normal E4M3, code 0x88
    x[5] = std::ldexp(1.0f, -136);   // v = 2^-9: the smallest subnormal E4M3, code 0x01
    x[6] = std::ldexp(1.0f, -137);   // v = 2^-10: a tie between 0 and 2^-9, away from zero: 0x01
    const auto s = settings(TensorFormat::MXFP8E4M3);
    const auto b = quantize(x, s);
    CHECK(b[0] == 0);  // se = -130 - 8 -> -127
    const auto c = mxCodes(b.data(), 8);
    CHECK(c[3] == 0x20);  // 0.125 = 2^(4-7)
    CHECK(c[4] == 0x88);
    CHECK(c[5] == 0x01);
    CHECK(c[6] == 0x01);
    const auto y = dequantize(b, x.size(), s);
    CHECK(sameBits(y[3], x[3]));
    CHECK(sameBits(y[4], x[4]));
    CHECK(sameBits(y[5], x[5]));
    CHECK(sameBits(y[6], std::ldexp(1.0f, -136)));
  }
  SECTION("mxint8: 1.5 * 2^-127 is code 96 under 2^-127") {
    std::vector<float> x(32, 0.0f);
    x[0] = std::ldexp(1.5f, -127);
    x[1] = -std::ldexp(1.0f, -127);
    const auto s = settings(TensorFormat::MXINT8);
    const auto b = quantize(x, s);
    CHECK(b[0] == 0);  // E = -127, se = -127
    CHECK(b[1] == 96);
    CHECK(b[2] == std::uint8_t(-64));
    const auto y = dequantize(b, x.size(), s);
    CHECK(y[0] == x[0]);
    CHECK(y[1] == x[1]);
  }
}

TEST_CASE("mx: a huge outlier saturates at max_norm, never Inf or NaN", "[formats][mx]") {
  SECTION("mxfp4") {
    std::vector<float> x(32, 1.0f);
    x[7] = 1.2e30f;  // E = 99, se = 97, v = 7.57 -> 8 saturates at 6 (code 7); 1.0 * 2^-97 rounds to 0
    x[8] = -7.5e29f;  // v = -4.73 -> -4 (code 0xE)
    const auto s = settings(TensorFormat::MXFP4);
    const auto b = quantize(x, s);
    CHECK(b[0] == 127 + 97);
    const auto c = mxCodes(b.data(), 4);
    CHECK(c[7] == 0x7);
    CHECK(c[8] == 0xE);
    CHECK(c[0] == 0);
    const auto y = dequantize(b, x.size(), s);
    CHECK(y[7] == std::ldexp(6.0f, 97));
    CHECK(y[8] == -std::ldexp(4.0f, 97));
    CHECK(y[0] == 0.0f);
  }
  SECTION("mxfp8-e4m3: 479 saturates at 448 (0x7E), not the NaN 0x7F") {
    std::vector<float> x(32, 0.0f);
    x[0] = 479.0f;
    x[1] = -479.0f;
    const auto b = quantize(x, settings(TensorFormat::MXFP8E4M3));
    CHECK(b[0] == 127);
    CHECK(b[1] == 0x7E);
    CHECK(b[2] == 0xFE);
  }
  SECTION("mxfp8-e5m2: 63000 saturates at 57344 (0x7B), not Inf") {
    std::vector<float> x(32, 0.0f);
    x[0] = 63000.0f;
    const auto s = settings(TensorFormat::MXFP8E5M2);
    const auto b = quantize(x, s);
    CHECK(b[0] == 127);
    CHECK(b[1] == 0x7B);
    CHECK(dequantize(b, 32, s)[0] == 57344.0f);
  }
  SECTION("mxint8: 1.999 under 2^0 saturates at 127/64") {
    std::vector<float> x(32, 0.0f);
    x[0] = 1.999f;
    x[1] = -1.999f;
    const auto s = settings(TensorFormat::MXINT8);
    const auto b = quantize(x, s);
    CHECK(b[0] == 127);
    CHECK(b[1] == 127);
    CHECK(b[2] == std::uint8_t(-127));
    CHECK(dequantize(b, 32, s)[1] == -127.0f / 64.0f);
  }
}

TEST_CASE("mx: ties round half away from zero; t = 0.5 - 2^-25 rounds up through the float32 addition", "[formats][mx]") {
  SECTION("mxfp4") {
    // amax 6: E = 2, se = 0, so v = x.
    const std::vector<float> in = {6.0f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, -0.25f, -2.5f, -0.1f, -0.0f,
                                   0.25f - 0x1p-26f, 0.25f - 0x1p-25f};
    const std::vector<std::uint32_t> want = {0x7, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x9, 0xD, 0x8, 0x0, 0x1, 0x0};
    std::vector<float> x(32, 0.0f);
    std::copy(in.begin(), in.end(), x.begin());
    const auto s = settings(TensorFormat::MXFP4);
    const auto b = quantize(x, s);
    CHECK(b[0] == 127);
    const auto c = mxCodes(b.data(), 4);
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO("value " << in[i]);
      CHECK(c[i] == want[i]);
    }
    const auto y = dequantize(b, 32, s);
    const std::vector<float> values = {6.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.5f, -3.0f, -0.0f, 0.0f, 0.5f, 0.0f};
    for (std::size_t i = 0; i < values.size(); ++i) {
      INFO("value " << in[i]);
      CHECK(sameBits(y[i], values[i]));
    }
  }
  SECTION("mxfp6-e3m2") {
    // amax 16: E = 4, se = 0. E3M2 emin = -2 (subnormal step 1/16): 1/32 is a tie -> 1/16;
    // 2.25 lies between 2 and 2.5 (step 0.5): 2.25 -> 2.5; 9 between 8 and 10 -> 10.
    std::vector<float> x(32, 0.0f);
    x[0] = 16.0f;
    x[1] = 1.0f / 32.0f;
    x[2] = 2.25f;
    x[3] = -9.0f;
    x[4] = 1.0f / 64.0f - 0x1p-30f;  // subnormal range: t = |v| * 2^(m - emin) = |v| * 16 = 0.25 - 2^-26
    x[5] = 1.0f / 32.0f - 0x1p-29f;  // t = 0.5 - 2^-25
    const auto s = settings(TensorFormat::MXFP6E3M2);
    const auto b = quantize(x, s);
    CHECK(b[0] == 127);
    const auto c = mxCodes(b.data(), 6);
    CHECK(c[0] == ((4 + 3) << 2));         // 16 = 2^4
    CHECK(c[1] == 0x01);                   // 1/16, subnormal mantissa 1
    CHECK(c[2] == ((1 + 3) << 2 | 1));     // 2.5 = 1.25 * 2
    CHECK(c[3] == (0x20 | (3 + 3) << 2 | 1));  // -10 = -1.25 * 8
    // x[4] = 2^-6 - 2^-30: t = |v| * 16 = 0.25 - 2^-26, rounds to 0; x[5]: t = 0.5 - 2^-25 -> 1.
    CHECK(c[4] == 0x00);
    CHECK(c[5] == 0x01);
  }
  SECTION("mxint8: |v| * 64 = 0.5 - 2^-25 rounds up, 0.5 - 2^-24 down, 0.5 and 2.5 away from zero") {
    std::vector<float> x(32, 0.0f);
    x[0] = 1.0f;                      // E = 0, se = 0
    x[1] = 0x1p-7f - 0x1p-31f;       // * 64 = 0.5 - 2^-25 -> 1
    x[2] = 0x1p-7f - 0x1p-30f;       // * 64 = 0.5 - 2^-24 -> 0
    x[3] = -0x1p-7f;                 // -0.5 -> -1
    x[4] = 2.5f / 64.0f;             // 2.5 -> 3
    x[5] = -0x1p-8f;                 // -0.25 -> 0 (int8 has no -0)
    const auto s = settings(TensorFormat::MXINT8);
    const auto b = quantize(x, s);
    CHECK(b[0] == 127);
    CHECK(b[1] == 64);
    CHECK(b[2] == 1);
    CHECK(b[3] == 0);
    CHECK(b[4] == std::uint8_t(-1));
    CHECK(b[5] == 3);
    CHECK(b[6] == 0);
    const auto y = dequantize(b, 32, s);
    CHECK(y[1] == 1.0f / 64.0f);
    CHECK(y[3] == -1.0f / 64.0f);
    CHECK(y[4] == 3.0f / 64.0f);
  }
}

TEST_CASE("mx: amax just below a power of two takes the next exponent (float32 log2)", "[formats][mx]") {
  const float below256 = floatOf(0x437FFFFFu);  // 256 - 2^-16: log2f rounds to 8
  const float third = floatOf(0x437FFFFDu);     // 256 - 3 * 2^-16: log2f is below 8
  REQUIRE(mx::floorLog2fReference(below256) == 8);
  REQUIRE(mx::floorLog2fReference(third) == 7);
  const auto s = settings(TensorFormat::MXFP8E4M3);
  std::vector<float> x(64, 0.0f);
  x[0] = below256;
  x[32] = third;
  const auto b = quantize(x, s);
  CHECK(b[0] == 127);       // se = 8 - 8 = 0
  CHECK(b[1] == 0x78);      // v = 255.99998 -> 256 = 2^(15-7)
  CHECK(b[33] == 126);      // se = 7 - 8 = -1
  CHECK(b[34] == 0x7E);     // v = 511.99995 saturates at 448
  const auto y = dequantize(b, 64, s);
  CHECK(y[0] == 256.0f);
  CHECK(y[32] == 224.0f);
  // mxfp4: se = 8 - 2 = 6, v = 3.9999998 -> 4 (code 6).
  const auto s4 = settings(TensorFormat::MXFP4);
  std::vector<float> x4(32, 0.0f);
  x4[1] = below256;
  const auto b4 = quantize(x4, s4);
  CHECK(b4[0] == 127 + 6);
  CHECK(b4[1] == 0x60);
}

TEST_CASE("mxint8: amax at the top of the float range takes se = 128: scale code 255 (NaN)", "[formats][mx]") {
  // floor(log2f(FLT_MAX)) = 128 (the float32 log2 rounds up), se = 128 - 0 > 127: the contract's NaN
  // scale. The float elements (emax >= 2) never reach it.
  REQUIRE(mx::floorLog2fReference(std::numeric_limits<float>::max()) == 128);
  std::vector<float> x(32, 1.0f);
  x[0] = std::numeric_limits<float>::max();
  const auto s = settings(TensorFormat::MXINT8);
  const auto b = quantize(x, s);
  CHECK(b[0] == 255);
  for (float v : dequantize(b, 32, s)) CHECK(std::isnan(v));
  // mxfp4: se = 126, v = FLT_MAX / 2^126 = 4 - 2^-22 rounds to 4 (code 6), and 4 * 2^126 = 2^128
  // overflows the float32 product of dequantizing: +Inf, as the contract's formula gives.
  const auto s4 = settings(TensorFormat::MXFP4);
  const auto b4 = quantize(x, s4);
  CHECK(b4[0] == 127 + 126);
  CHECK((b4[1] & 15) == 6);
  const auto y4 = dequantize(b4, 32, s4);
  CHECK(y4[0] == std::numeric_limits<float>::infinity());
  CHECK(y4[1] == 0.0f);
}

TEST_CASE("mx: rows not a multiple of 32 pad each row's last block; dequantizing drops the padding", "[formats][mx]") {
  for (TensorFormat f : kMx) {
    const FormatDesc& d = formatDesc(f);
    INFO(d.name);
    std::vector<float> x(3 * 40), padded(3 * 64, 0.0f);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = float(int((i * 37) % 23) - 11) * (i % 40 >= 32 ? 0.01f : 1.0f);  // the tail blocks are smaller
      padded[(i / 40) * 64 + i % 40] = x[i];
    }
    const auto s = settings(f, 40);
    const auto b = quantize(x, s);
    CHECK(b.size() == 3u * 2u * std::size_t(d.raw.blockBytes));  // 3 rows x 2 blocks
    CHECK(rawBlocksBytes(s, x.size()) == b.size());
    const auto sp = settings(f, 64);
    const auto bp = quantize(padded, sp);
    CHECK(b == bp);  // the same blocks as the explicitly zero-padded rows
    const auto y = dequantize(b, x.size(), s);
    const auto yp = dequantize(bp, padded.size(), sp);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!sameBits(y[i], yp[(i / 40) * 64 + i % 40])) ++bad;
    CHECK(bad == 0);
    // The per-value codes drop the padding too.
    auto q = quantizeBlockwise(x.data(), x.size(), s);
    REQUIRE(q.ok());
    CHECK(q->codes.size() == x.size());
    CHECK(q->blocks == b);
  }
}

TEST_CASE("nvfp4: a row length that is not a multiple of 16 is refused", "[formats][nvfp4]") {
  for (TensorFormat f : {TensorFormat::NVFP4, TensorFormat::NVFP4_1Level}) {
    std::vector<float> x(3 * 40, 1.0f);
    std::vector<std::uint8_t> out;
    const Status st = quantizeRawBlocks(x.data(), x.size(), settings(f, 40), out);
    REQUIRE(!st.ok());
    CHECK(st.error().find("multiple of 16") != std::string::npos);
    CHECK(st.error().find("40") != std::string::npos);
    CHECK(!quantizeBlockwise(x.data(), x.size(), settings(f, 40)).ok());
    // 3 x 48 is fine.
    std::vector<float> y(3 * 48, 1.0f);
    CHECK(quantizeRawBlocks(y.data(), y.size(), settings(f, 48), out).ok());
    CHECK(out.size() == std::size_t(formatDesc(f).raw.headerBytes) + 9u * 9u);
  }
}

TEST_CASE("nvfp4: the header is pts = amax / 2688; E4M3 scales and E2M1 ties round to nearest even", "[formats][nvfp4]") {
  // Block 0 holds the tensor's amax 2688: pts = 1, r = 448 (code 0x7E), k = 1/448, v = 6 (code 7).
  // Block 1 has amax 6: bs = 1, s = 1, k = 1, so v = x.
  std::vector<float> x(32, 0.0f);
  x[0] = 2688.0f;
  x[1] = -1.0f;  // v = -1/448 -> -0 (code 8)
  const std::vector<float> ties = {6.0f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, -0.25f, -2.5f, -0.0f, 0.0f, 0.2f, 5.5f, -6.0f, 2.75f};
  const std::vector<std::uint8_t> want = {7, 0, 2, 2, 4, 4, 6, 6, 8, 12, 8, 0, 0, 7, 15, 5};
  std::copy(ties.begin(), ties.end(), x.begin() + 16);
  const auto s = settings(TensorFormat::NVFP4);
  const auto b = quantize(x, s);
  REQUIRE(b.size() == 4u + 2u * 9u);
  float pts;
  std::memcpy(&pts, b.data(), 4);
  CHECK(sameBits(pts, 1.0f));
  CHECK(b[4] == 0x7E);
  CHECK((b[5] & 15) == 7);
  CHECK((b[5] >> 4) == 8);
  CHECK(b[13] == 0x38);  // E4M3 1.0 = 2^(7-7)
  for (std::size_t i = 0; i < 16; ++i) {
    INFO("value " << ties[i]);
    const std::uint8_t c = (i % 2) ? b[14 + i / 2] >> 4 : b[14 + i / 2] & 15;
    CHECK(c == want[i]);
  }
  const auto y = dequantize(b, 32, s);
  CHECK(y[0] == 2688.0f);  // 6 * (1 * 448)
  CHECK(sameBits(y[1], -0.0f));
  CHECK(y[16 + 5] == 2.0f);
  CHECK(y[16 + 9] == -2.0f);

  SECTION("a header from another amax, and E4M3 rounding of r") {
    // amax 26.88: pts = 26.88f / 2688.0f (float32); a block with amax 1.3 gets r = (1.3/6)/pts.
    std::vector<float> z(32, 0.0f);
    z[0] = 26.88f;
    z[16] = 1.3f;
    const auto bz = quantize(z, s);
    float ptsz;
    std::memcpy(&ptsz, bz.data(), 4);
    CHECK(sameBits(ptsz, 26.88f / 2688.0f));
    // r = 0.21666667 / 0.01 = 21.666..., E4M3 between 20 and 22 (step 2): 22 = 1.375 * 16, code (4+7)<<3 | 3.
    CHECK(bz[13] == ((4 + 7) << 3 | 3));
  }
  SECTION("nvfp4-1level: amax 6 gives s = 1, the same ties, and no header") {
    std::vector<float> w(ties);
    const auto s1 = settings(TensorFormat::NVFP4_1Level);
    const auto b1 = quantize(w, s1);
    REQUIRE(b1.size() == 9u);
    CHECK(b1[0] == 0x38);
    for (std::size_t i = 0; i < 16; ++i) {
      const std::uint8_t c = (i % 2) ? b1[1 + i / 2] >> 4 : b1[1 + i / 2] & 15;
      CHECK(c == want[i]);
    }
    // A small block gets the smallest scale 2^-6 (no subnormal scales): 0.01 / 2^-6 = 0.64 -> 0.5.
    std::vector<float> tiny(16, 0.0f);
    tiny[0] = 0.01f;
    const auto bt = quantize(tiny, s1);
    CHECK(bt[0] == 0x08);
    CHECK((bt[1] & 15) == 1);
    CHECK(dequantize(bt, 16, s1)[0] == 0.0078125f);
  }
}

TEST_CASE("nvfp4: an all-zero tensor (pts = 0) is defined: scales 2^-6, codes 0, decoding to +0", "[formats][nvfp4]") {
  const auto s = settings(TensorFormat::NVFP4);
  for (float fill : {0.0f, -0.0f, 1e-38f}) {  // 1e-38 / 2688 is below 2^-128: 1/pts overflows, as for 0
    INFO("fill " << fill);
    std::vector<float> x(48, fill);
    const auto b = quantize(x, s);
    REQUIRE(b.size() == 4u + 3u * 9u);
    float pts;
    std::memcpy(&pts, b.data(), 4);
    CHECK(sameBits(pts, std::fabs(fill) / 2688.0f));
    for (std::size_t blk = 0; blk < 3; ++blk) {
      CHECK(b[4 + blk * 9] == 0x08);
      for (std::size_t j = 1; j < 9; ++j) CHECK(b[4 + blk * 9 + j] == 0);
    }
    for (float v : dequantize(b, x.size(), s)) CHECK(sameBits(v, 0.0f));
    auto q = quantizeBlockwise(x.data(), x.size(), s);
    REQUIRE(q.ok());
    auto v = inspectBlock(*q, 2);
    REQUIRE(v.ok());
    CHECK(v->constants[0].value == 0.015625f);
    if (fill == 0.0f) CHECK(v->levels[0] == std::vector<float>{0.0f});
  }
}

TEST_CASE("mx, nvfp4: inspect() constants decode as dequantize uses them; codes, values and levels", "[formats][mx][nvfp4]") {
  std::vector<float> x(4 * 64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 0.37f) * std::exp(float(i % 64) * 0.05f - 1.0f);
  struct Expect {
    TensorFormat f;
    std::size_t levels;
  };
  // Distinct finite values of all codes (+0 and -0 once): E2M1 15, FP6 63, E4M3 253 (0x7F, 0xFF NaN),
  // E5M2 247 (eight Inf/NaN codes), INT8 256 (-128..127), NVFP4 15.
  const Expect all[] = {{TensorFormat::MXFP4, 15},      {TensorFormat::MXFP6E3M2, 63}, {TensorFormat::MXFP6E2M3, 63},
                        {TensorFormat::MXFP8E4M3, 253}, {TensorFormat::MXFP8E5M2, 247}, {TensorFormat::MXINT8, 256},
                        {TensorFormat::NVFP4, 15},      {TensorFormat::NVFP4_1Level, 15}};
  for (const Expect& e : all) {
    const FormatDesc& d = formatDesc(e.f);
    INFO(d.name);
    const auto s = settings(e.f, 64);
    auto q = quantizeBlockwise(x.data(), x.size(), s);
    REQUIRE(q.ok());
    std::vector<float> y(x.size());
    dequantizeBlockwise(*q, y.data());
    const std::size_t bv = std::size_t(d.raw.blockValues), blocks = x.size() / bv;
    const bool isNv = e.f == TensorFormat::NVFP4 || e.f == TensorFormat::NVFP4_1Level;
    for (std::size_t b = 0; b < blocks; ++b) {
      auto v = inspectBlock(*q, b);
      REQUIRE(v.ok());
      const std::uint8_t* blk = q->blocks.data() + d.raw.headerBytes + b * std::size_t(d.raw.blockBytes);
      REQUIRE(v->codes.size() == bv);
      REQUIRE(v->values.size() == bv);
      REQUIRE(v->levels.size() == 1u);
      CHECK(v->subBlocks == 1);
      CHECK(!v->structure.empty());
      float step = 0.0f;
      if (!isNv) {
        REQUIRE(v->constants.size() == 1u);
        CHECK(v->constants[0].name == "e8m0");
        CHECK(v->constants[0].rawBits == 8);
        CHECK(v->constants[0].raw == blk[0]);
        CHECK(v->constants[0].value == std::ldexp(1.0f, int(blk[0]) - 127));
        CHECK(v->structure.find("2^" + std::to_string(int(blk[0]) - 127)) != std::string::npos);
        step = v->constants[0].value;
      } else {
        REQUIRE(v->constants.size() == (e.f == TensorFormat::NVFP4 ? 2u : 1u));
        CHECK(v->constants[0].name == "e4m3 scale");
        CHECK(v->constants[0].raw == blk[0]);
        const int field = blk[0] >> 3, mant = blk[0] & 7;
        CHECK(v->constants[0].value == std::ldexp(float(8 + mant), field - 10));
        step = v->constants[0].value;
        if (e.f == TensorFormat::NVFP4) {
          float pts;
          std::memcpy(&pts, q->blocks.data(), 4);
          CHECK(v->constants[1].name == "tensor scale");
          CHECK(v->constants[1].rawBits == 32);
          CHECK(v->constants[1].raw == bitsOf(pts));
          CHECK(v->constants[1].value == pts);
          step = v->constants[1].value * v->constants[0].value;  // pts * s, as dequantize forms it
        }
      }
      const auto& lv = v->levels[0];
      CHECK(lv.size() == e.levels);
      CHECK(std::is_sorted(lv.begin(), lv.end()));
      for (std::size_t i = 0; i < bv; ++i) {
        CHECK(v->codes[i] == q->codes[b * bv + i]);
        CHECK(sameBits(v->values[i], y[b * bv + i]));
        CHECK(std::find(lv.begin(), lv.end(), v->values[i]) != lv.end());
        if (isNv) {
          static const float e2m1[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
          const float m = e2m1[v->codes[i] & 7] * step;
          CHECK(sameBits(v->values[i], (v->codes[i] & 8) ? -m : m));
        }
      }
      // The grid's ends: max_norm (mxint8: -128/64 .. 127/64) times the scale.
      const float top = e.f == TensorFormat::MXFP4 || isNv ? 6.0f
                        : e.f == TensorFormat::MXFP6E3M2   ? 28.0f
                        : e.f == TensorFormat::MXFP6E2M3   ? 7.5f
                        : e.f == TensorFormat::MXFP8E4M3   ? 448.0f
                        : e.f == TensorFormat::MXFP8E5M2   ? 57344.0f
                                                           : 127.0f / 64.0f;
      CHECK(lv.back() == top * step);
      CHECK(lv.front() == (e.f == TensorFormat::MXINT8 ? -2.0f : -top) * step);
    }
  }
}
