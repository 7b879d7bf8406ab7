// NVFP4 as NVIDIA defines it and torchao computes it (FORMATS.md §7): E2M1 in blocks of 16, an E4M3 scale each, a float32 scale per tensor.
//
// Two-level (nvfp4): pts = amax_tensor / 2688 (the header); per block bs = amax16 / 6, r = bs / pts
// clamped to [2^-6, 448], s = E4M3_RNE(r), k = (1/pts) / s, v = x * k clamped to [-6, 6], element
// code = E2M1_RNE(v) with v's sign bit. Dequantizing: E2M1(code) * (pts * s).
// Single level (nvfp4-1level): s = E4M3_RNE(clamp(amax16 / 6)), v = x * (1/s); dequantizing E2M1 * s.
//
// E2M1 RNE of |v| is a count of the grid's midpoints below it (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5),
// each compared with > or >= so that a tie goes to the even code (0.25 -> 0, 0.75 -> 1.0,
// 1.25 -> 1.0, 1.75 -> 2, 2.5 -> 2, 3.5 -> 4, 5 -> 4), the same as torchao's bit-level rounding of
// the float32 v; anything above 5 (the clamp at 6 included) is code 7.
//
// Outside torchao's contract: a tensor whose 1/pts is not finite (pts = 0 for an all-zero tensor,
// where torchao divides 0 by 0, or pts <= 2^-128 for a tensor whose max |x| is below about 2^-117,
// where 1/pts overflows and 0 * inf makes NaN). We define it: every block gets the smallest scale
// 2^-6 (E4M3 code 0x08) and every element code 0 (+0), so it dequantizes to +0.0 everywhere (the
// true values are below 2^-117 or zero); the header still holds pts as computed.
#include <algorithm>
#include <bit>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "quant/formats/family.hpp"

namespace qviz::core {

namespace {


constexpr int kBlock = 16, kBlockBytes = 9;
constexpr float kScaleMin = 0.015625f;  // 2^-6, the smallest normal E4M3 (no subnormal scales)
constexpr float kScaleMax = 448.0f;
constexpr std::uint8_t kScaleMinCode = 0x08;

constexpr std::array<float, 16> kE2M1 = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                         -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

// E4M3 (bias 7, 3 mantissa bits) round to nearest even of a normal r in [2^-6, 448]: the float32
// mantissa rounded to 3 bits on its bit pattern (a carry moves into the exponent). Returns the
// code; *value gets its value.
inline std::uint8_t e4m3Rne(float r, float* value) {
  std::uint32_t b = std::bit_cast<std::uint32_t>(r);
  b += 0x7ffffu + ((b >> 20) & 1u);
  b &= 0xfff00000u;
  *value = std::bit_cast<float>(b);
  const std::uint32_t field = (b >> 23) - 127 + 7, mant = (b >> 20) & 7u;
  return std::uint8_t(field << 3 | mant);
}

inline float e4m3Value(std::uint8_t code) {
  const int field = (code >> 3) & 15, mant = code & 7;
  float v;
  if (field == 15 && mant == 7) v = std::numeric_limits<float>::quiet_NaN();
  else if (field == 0) v = std::ldexp(float(mant), -9);
  else v = std::ldexp(float(8 | mant), field - 10);
  return (code & 0x80) ? -v : v;
}

inline std::uint32_t blockAmaxBits(const float* x) {
  std::uint32_t a = 0;
  for (int i = 0; i < kBlock; ++i) a = std::max(a, std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu);
  return a;
}

// The 16 codes of x * k, nibble-packed (byte j = e[2j] | e[2j+1] << 4).
inline void encodeElements(const float* x, float k, std::uint8_t* out) {
  std::uint8_t c[kBlock];
  for (int i = 0; i < kBlock; ++i) {
    const float v = x[i] * k;
    const float a = std::fabs(v);
    const int mag = int(a > 0.25f) + int(a >= 0.75f) + int(a > 1.25f) + int(a >= 1.75f) + int(a > 2.5f) +
                    int(a >= 3.5f) + int(a > 5.0f);
    c[i] = std::uint8_t(mag | int((std::bit_cast<std::uint32_t>(v) >> 31) << 3));
  }
  for (int j = 0; j < kBlock / 2; ++j) out[j] = std::uint8_t(c[2 * j] | c[2 * j + 1] << 4);
}

// Blocks in groups of kGroup: the per-block scales of a group first (loops over blocks that the
// compiler vectorizes, divisions included), then the group's elements.
constexpr std::size_t kGroup = 16;

// E4M3 codes, their values and the element multipliers of n <= kGroup blocks at x.
template <bool TwoLevel>
inline void groupScales(const float* x, std::size_t n, float pts, float invPts, std::uint8_t* codes, float* k) {
  float r[kGroup], s[kGroup];
  for (std::size_t j = 0; j < n; ++j) r[j] = std::bit_cast<float>(blockAmaxBits(x + j * kBlock));
  for (std::size_t j = 0; j < n; ++j) {
    const float bs = r[j] / 6.0f;
    r[j] = std::clamp(TwoLevel ? bs / pts : bs, kScaleMin, kScaleMax);
  }
  for (std::size_t j = 0; j < n; ++j) codes[j] = e4m3Rne(r[j], &s[j]);
  for (std::size_t j = 0; j < n; ++j) k[j] = TwoLevel ? invPts / s[j] : 1.0f / s[j];
}

template <bool TwoLevel>
void quantizeNvfp4(const float* x, std::size_t blocks, float pts, std::uint8_t* out) {
  const float invPts = TwoLevel ? 1.0f / pts : 1.0f;
  if (TwoLevel && !(invPts <= std::numeric_limits<float>::max())) {  // see the top of the file
    for (std::size_t b = 0; b < blocks; ++b, out += kBlockBytes) {
      out[0] = kScaleMinCode;
      std::fill(out + 1, out + kBlockBytes, std::uint8_t(0));
    }
    return;
  }
  std::uint8_t codes[kGroup];
  float k[kGroup];
  for (std::size_t g = 0; g < blocks; g += kGroup) {
    const std::size_t n = std::min(kGroup, blocks - g);
    groupScales<TwoLevel>(x, n, pts, invPts, codes, k);
    for (std::size_t j = 0; j < n; ++j, x += kBlock, out += kBlockBytes) {
      out[0] = codes[j];
      encodeElements(x, k[j], out + 1);
    }
  }
}

inline void decodeElements(const std::uint8_t* in, float step, float* out) {
  for (int j = 0; j < kBlock / 2; ++j) {
    out[2 * j] = kE2M1[in[j] & 15u] * step;
    out[2 * j + 1] = kE2M1[in[j] >> 4] * step;
  }
}

// The block's step as dequantizing forms it: pts * s (two-level), s (single level).
inline float stepOf(const std::uint8_t* block, float pts, bool twoLevel) {
  const float s = e4m3Value(block[0]);
  return twoLevel ? pts * s : s;
}

template <bool TwoLevel>
void dequantizeNvfp4(const std::uint8_t* in, std::size_t blocks, float pts, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kBlockBytes, out += kBlock)
    decodeElements(in + 1, stepOf(in, pts, TwoLevel), out);
}

void codesNvfp4(const std::uint8_t* block, std::uint8_t* out) {
  for (int j = 0; j < kBlock / 2; ++j) {
    out[2 * j] = block[1 + j] & 15u;
    out[2 * j + 1] = block[1 + j] >> 4;
  }
}

std::string number(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

template <bool TwoLevel>
void inspectNvfp4(const std::uint8_t* block, float pts, BlockView& v) {
  const float s = e4m3Value(block[0]);
  const float step = stepOf(block, pts, TwoLevel);
  v = BlockView{};
  v.structure = "block of 16 E2M1 values with an FP8 E4M3 scale s = " + number(s);
  if (TwoLevel)
    v.structure += "; the tensor's float32 scale pts = " + number(pts) + " multiplies it: value = E2M1 x (pts*s)";
  else
    v.structure += ": value = E2M1 x s (no tensor scale)";
  v.constants.push_back({"e4m3 scale", block[0], 8, s});
  if (TwoLevel) v.constants.push_back({"tensor scale", std::bit_cast<std::uint32_t>(pts), 32, pts});
  v.subBlocks = 1;
  v.codes.resize(kBlock);
  codesNvfp4(block, v.codes.data());
  v.values.resize(kBlock);
  decodeElements(block + 1, step, v.values.data());
  std::vector<float> levels;
  for (float e : kE2M1) {
    const float value = e * step;
    if (std::isfinite(value)) levels.push_back(value == 0.0f ? 0.0f : value);
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  v.levels.push_back(std::move(levels));
}

float tensorScaleOf(float amax) { return amax / 2688.0f; }

}  // namespace

std::vector<FormatDesc> nvfp4Formats() {
  using formats::rawDesc;
  using formats::withCodec;
  FormatDesc two = withCodec(rawDesc(TensorFormat::NVFP4, "nvfp4", "nvfp4", "NVIDIA", "NVFP4: 16 E2M1 values per FP8 E4M3 scale, a float32 scale per tensor (amax/2688)", 4, 16, 9, RowRule::WholeRows, 4),
                             quantizeNvfp4<true>, dequantizeNvfp4<true>, codesNvfp4, inspectNvfp4<true>);
  two.raw.tensorScale = tensorScaleOf;
  FormatDesc one = withCodec(rawDesc(TensorFormat::NVFP4_1Level, "nvfp4-1level", "nvfp4", "NVIDIA", "NVFP4 without the tensor scale (torchao to_nvfp4 default): E4M3 scale per 16", 4, 16, 9, RowRule::WholeRows),
                             quantizeNvfp4<false>, dequantizeNvfp4<false>, codesNvfp4, inspectNvfp4<false>);
  return {two, one};
}

}  // namespace qviz::core
