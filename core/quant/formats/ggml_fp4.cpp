// ggml's own MXFP4 and NVFP4 (FORMATS.md §5): E2M1 elements stored doubled, as the integers
// 0 1 2 3 4 6 8 12 (bit 3 the sign), against a halved scale; each element takes the nearest code,
// ties to the lower code (toward zero; code 8, -0, is never chosen). MXFP4: blocks of 32 with an
// E8M0 exponent; NVFP4: blocks of 64 = 4 x 16, each 16 with ggml's own UE4M3 scale (not RNE), and
// no per-tensor scale. Every step is one float32 operation.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "quant/formats/family.hpp"
#include "quant/formats/ggml_common.hpp"

namespace qviz::core {
namespace {

// The doubled E2M1 values, index = code.
constexpr float kDoubled[16] = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 6.0f, 8.0f, 12.0f,
                                -0.0f, -1.0f, -2.0f, -3.0f, -4.0f, -6.0f, -8.0f, -12.0f};


// The code of x against the halved scale s: the first code of strictly smallest |table[c]*s - x|
// over c = 0..15. For x >= 0 no negative code can be strictly better than code 0 (its error is
// |t|*s + x >= x), for x < 0 no positive one; the errors are symmetric, so the search runs over
// codes 0..7 with |x| (grid[c] = table[c]*s, c < 8) and a negative x takes the code + 8 (never 8).
int nearestCode(float x, const float* grid) {
  const float a = std::fabs(x);
  int best = 0;
  float bestErr = a;  // |0*s - |x||
  for (int c = 1; c < 8; ++c) {
    const float err = std::fabs(grid[c] - a);
    best = err < bestErr ? c : best;
    bestErr = err < bestErr ? err : bestErr;
  }
  return x < 0.0f && best != 0 ? best + 8 : best;
}
void makeGrid(float s, float* grid) {
  for (int c = 0; c < 16; ++c) grid[c] = kDoubled[c] * s;
}
std::vector<float> gridLevels(float s) {
  std::vector<float> v(16);
  for (int c = 0; c < 16; ++c) v[std::size_t(c)] = kDoubled[c] * s;
  return ggml::sortedLevels(std::move(v));
}

// ---- ggml MXFP4: 0 e (E8M0) · 1..16 qs[16], byte j = code[j] | code[j+16]<<4 ----------------------

constexpr int kMxValues = 32, kMxBytes = 17, kMxHalf = 16;

// E8M0 exponent of a block: floor(log2f(amax)) - 2 + 127 as float32, then ggml's (uint8) cast
// (mod 256 below 2^-125, as x86-64 gcc). log2f is the float32 rounding of the exact log2 (FORMATS.md
// §6.1), which can be k for an amax just below 2^k.
std::uint8_t mxExponent(float amax) {
  if (!(amax > 0.0f)) return 0;
  const float lg = float(std::log2(double(amax)));
  return ggml::truncByte(std::floor(lg) - 2.0f + 127.0f);
}
// The halved scale 2^(e-128) (ggml's E8M0 to float, halved): subnormal 0x00200000 << e for e < 2.
float mxHalfScale(std::uint8_t e) {
  return std::bit_cast<float>(e < 2 ? 0x00200000u << e : std::uint32_t(e - 1) << 23);
}

void mxQuantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  float grid[16];
  for (std::size_t b = 0; b < blocks; ++b, x += kMxValues, out += kMxBytes) {
    float amax = 0.0f;
    for (int j = 0; j < kMxValues; ++j) amax = std::max(amax, std::fabs(x[j]));
    const std::uint8_t e = mxExponent(amax);
    out[0] = e;
    makeGrid(mxHalfScale(e), grid);
    for (int j = 0; j < kMxHalf; ++j) out[1 + j] = ggml::nibblePair(nearestCode(x[j], grid), nearestCode(x[j + kMxHalf], grid));
  }
}
void mxDequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kMxBytes, out += kMxValues) {
    const float s = mxHalfScale(in[0]);
    for (int j = 0; j < kMxHalf; ++j) {
      out[j] = kDoubled[in[1 + j] & 15u] * s;
      out[j + kMxHalf] = kDoubled[in[1 + j] >> 4] * s;
    }
  }
}
void mxCodes(const std::uint8_t* block, std::uint8_t* out) {
  for (int j = 0; j < kMxHalf; ++j) {
    out[j] = std::uint8_t(block[1 + j] & 15u);
    out[j + kMxHalf] = std::uint8_t(block[1 + j] >> 4);
  }
}
void mxInspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: E8M0 exponent e, then 16 bytes of E2M1 codes (value j low nibble, j+16 high); "
                "value = E2M1(code) * 2^(e - 127), E2M1 = 0 0.5 1 1.5 2 3 4 6 (bit 3 the sign)";
  const float scale = mxHalfScale(block[0]) * 2.0f;  // 2^(e-127), exact (e = 0: the subnormal 2^-127)
  v.constants = {{"e8m0", block[0], 8, scale}};
  v.subBlocks = 1;
  v.codes.resize(kMxValues);
  v.values.resize(kMxValues);
  mxCodes(block, v.codes.data());
  mxDequantize(block, 1, 0.0f, v.values.data());
  v.levels = {gridLevels(mxHalfScale(block[0]))};
}

// ---- ggml NVFP4: 0..3 d[4] (UE4M3) · 4..35 qs[32], byte 4+8s+j = code[16s+j] | code[16s+8+j]<<4 ----

constexpr int kNvValues = 64, kNvBytes = 36, kNvSub = 16, kNvSubs = 4;

// ggml's UE4M3 encoder (FORMATS.md §5): round half up on the fourth significant bit, 256..448 to 448,
// subnormals (multiples of 2^-9) below 2^-6.
std::uint8_t ue4m3Encode(float v) {
  if (!(v > 0.0f)) return 0;  // <= 0 and NaN
  if (v > 448.0f) v = 448.0f;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
  int e = int((bits >> 23) & 0xffu) - 127;
  const int m3 = int((bits >> 20) & 7u), r = int((bits >> 19) & 1u);
  if (e + 7 <= 0) {
    const int m = std::min(7, int(v * 512.0f + 0.5f));
    return std::uint8_t(m < 1 ? 0 : m);
  }
  if (e + 7 >= 15) return 0x7e;
  int man = m3 + r;
  if (man > 7) {
    man = 0;
    ++e;
    if (e + 7 >= 15) return 0x7e;
  }
  return std::uint8_t((e + 7) << 3 | man);
}
// Its value (not halved): 0 and 0x7f give 0; exponent field 0: man * 2^-9; else (1 + man/8) * 2^(exp-7).
float ue4m3Value(std::uint8_t c) {
  if (c == 0 || c == 0x7f) return 0.0f;
  const int ex = (c >> 3) & 15, man = c & 7;
  if (ex == 0) return std::ldexp(float(man), -9);
  return std::ldexp(float(8 + man), ex - 10);
}

void nvQuantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  float grid[16];
  for (std::size_t b = 0; b < blocks; ++b, x += kNvValues, out += kNvBytes) {
    for (int s = 0; s < kNvSubs; ++s) {
      const float* xs = x + kNvSub * s;
      float amax = 0.0f;
      for (int j = 0; j < kNvSub; ++j) amax = std::max(amax, std::fabs(xs[j]));
      const std::uint8_t sc = ue4m3Encode(amax / 6.0f);
      out[s] = sc;
      makeGrid(ue4m3Value(sc) * 0.5f, grid);
      for (int j = 0; j < 8; ++j) out[4 + 8 * s + j] = ggml::nibblePair(nearestCode(xs[j], grid), nearestCode(xs[j + 8], grid));
    }
  }
}
void nvDequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kNvBytes) {
    for (int s = 0; s < kNvSubs; ++s, out += kNvSub) {
      const float h = ue4m3Value(in[s]) * 0.5f;
      const std::uint8_t* qs = in + 4 + 8 * s;
      for (int j = 0; j < 8; ++j) {
        out[j] = kDoubled[qs[j] & 15u] * h;
        out[j + 8] = kDoubled[qs[j] >> 4] * h;
      }
    }
  }
}
void nvCodes(const std::uint8_t* block, std::uint8_t* out) {
  for (int s = 0; s < kNvSubs; ++s)
    for (int j = 0; j < 8; ++j) {
      out[kNvSub * s + j] = std::uint8_t(block[4 + 8 * s + j] & 15u);
      out[kNvSub * s + 8 + j] = std::uint8_t(block[4 + 8 * s + j] >> 4);
    }
}
void nvInspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 64: 4 UE4M3 scales (one per 16 values), then 4 x 8 bytes of E2M1 codes (in each 16, "
                "value j low nibble, j+8 high); value = E2M1(code) * scale, E2M1 = 0 0.5 1 1.5 2 3 4 6 (bit 3 the sign)";
  v.subBlocks = kNvSubs;
  for (int s = 0; s < kNvSubs; ++s) {
    v.constants.push_back({"scale[" + std::to_string(s) + "]", block[s], 8, ue4m3Value(block[s])});
    v.levels.push_back(gridLevels(ue4m3Value(block[s]) * 0.5f));
  }
  v.codes.resize(kNvValues);
  v.values.resize(kNvValues);
  nvCodes(block, v.codes.data());
  nvDequantize(block, 1, 0.0f, v.values.data());
}

}  // namespace

std::vector<FormatDesc> ggmlFp4Formats() {
  using formats::rawDesc;
  using formats::withCodec;
  return {
      withCodec(rawDesc(TensorFormat::GgmlMXFP4, "ggml-mxfp4", "ggml_fp4", "ggml", "ggml MXFP4: blocks of 32, E2M1 with an E8M0 scale (ggml nibble order, ties toward zero)", 4, kMxValues, kMxBytes),
                mxQuantize, mxDequantize, mxCodes, mxInspect),
      withCodec(rawDesc(TensorFormat::GgmlNVFP4, "ggml-nvfp4", "ggml_fp4", "ggml", "ggml NVFP4: blocks of 64 = 4 x 16, E2M1 with a UE4M3 scale per 16, no tensor scale", 4, kNvValues, kNvBytes),
                nvQuantize, nvDequantize, nvCodes, nvInspect),
  };
}

}  // namespace qviz::core
