// OCP Microscaling v1.0 as microxcaling computes it (FORMATS.md §6): blocks of 32 along the last axis, an E8M0 shared scale.
//
// Quantizing a block: amax = max |x| (compared as the magnitudes' bit patterns, which order finite
// floats exactly); E = floor(log2f(amax)) from amax's bits and a per-binade boundary (mx::floorLog2f);
// se = max(E - emax_elem, -127); v = x * 2^-se (exactly x / 2^se: 2^-se is a float for every se).
// Float elements: p = max(exponent of |v|, emin), read from v's bits. The contract's
// p = floor(log2f(|v|)) is one larger where |v| lies within a float32 log2 rounding of 2^(p+1); both
// choices give the same element there (t rounds to 2^(m+1) under the exact p and to 2^m under the
// larger one: the value 2^(p+1) either way), so the bits suffice. Then t = |v| * 2^(m-p) (exact),
// r = (int)(t + 0.5f) with the float32 addition, and the code's magnitude is ((p - emin) << m) + r:
// exponent field and mantissa in one integer (r = 2^(m+1) carries into the next exponent, r < 2^m
// at p = emin is a subnormal), clamped to the largest finite code (saturation). The sign bit is set
// for x < 0 only, so -0.0 gives +0 and a negative value rounding to zero gives -0.
// MXINT8: r = (int)(|v| * 64 + 0.5f), clamped to 127, stored as the int8 +-r.
// Dequantizing: a 2^bits-entry table of element values times 2^se.
// At the very top of the float range the contract's formulas leave the finite: an mxint8 block whose
// amax has floor(log2f(amax)) = 128 (FLT_MAX and the floats just below it) gets se = 128 > 127, the
// NaN scale code 255, and dequantizes to NaN; a float element rounding up to 2^(emax+1) there (mxfp4:
// FLT_MAX -> 4 * 2^126) dequantizes to +-Inf, the float32 product overflowing. Both are what
// microxcaling's float32 arithmetic gives; tests/core/test_mx_nvfp4.cpp pins them.
#include "quant/formats/mx.hpp"

#include <algorithm>
#include <bit>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "quant/formats/family.hpp"

namespace qviz::core {

namespace {


// 2^k as a float for k in [-149, 127] (subnormal below -126).
inline float pow2f(int k) {
  return k >= -126 ? std::bit_cast<float>(std::uint32_t(k + 127) << 23) : std::bit_cast<float>(std::uint32_t(1) << (k + 149));
}

// The exponent of a positive finite float's value: floor(log2(x)) exactly (x > 0).
inline int binadeOf(std::uint32_t b) {
  if (b >= 0x00800000u) return int(b >> 23) - 127;
  return 31 - __builtin_clz(b) - 149;
}

// thresholds[e + 149]: the smallest float bit pattern in [2^e, 2^(e+1)) whose float32 log2 rounds
// up to e + 1 (2^(e+1)'s pattern where none does). The top of each binade is scanned downwards
// while the reference expression says e + 1; the tests check every binade's neighbourhood of its
// boundary and the binade's ends against the reference.
struct Log2Boundaries {
  std::array<std::uint32_t, 277> thresholds{};
  Log2Boundaries() {
    for (int e = -149; e <= 127; ++e) {
      const std::uint32_t lo = std::bit_cast<std::uint32_t>(pow2f(e));
      const std::uint32_t top = e == 127 ? 0x7f800000u : std::bit_cast<std::uint32_t>(pow2f(e + 1));
      std::uint32_t t = top;
      while (t > lo && mx::floorLog2fReference(std::bit_cast<float>(t - 1)) == e + 1) --t;
      thresholds[std::size_t(e + 149)] = t;
    }
  }
};
const Log2Boundaries& log2Boundaries() {
  static const Log2Boundaries b;
  return b;
}

inline int floorLog2Bits(std::uint32_t b, const Log2Boundaries& t) {
  const int e = binadeOf(b);
  return e + (b >= t.thresholds[std::size_t(e + 149)] ? 1 : 0);
}

// The E8M0 scale exponent of a block whose max |x| has the bit pattern amaxBits (FORMATS.md §6.1):
// an all-zero block takes amax = 2^-126.
inline int sharedExponent(std::uint32_t amaxBits, int emaxElem, const Log2Boundaries& t) {
  const int e = amaxBits == 0 ? -126 : floorLog2Bits(amaxBits, t);
  return std::max(e - emaxElem, -127);
}

// The E8M0 code's value: 2^(code - 127), code 255 NaN.
inline float e8m0Value(std::uint8_t code) {
  if (code == 255) return std::numeric_limits<float>::quiet_NaN();
  return pow2f(int(code) - 127);
}

// One element type of the MX family.
struct Elem {
  const char* name;  // "E2M1", "INT8"
  int ebits, mbits;  // exponent and mantissa bits (INT8: 0, 0)
  int emax;          // emax_elem of the scale rule
  int bits;          // code bits: 4, 6, 8
  int maxMag;        // largest finite code magnitude (sign bit clear)
  bool isInt;
  constexpr int bias() const { return (1 << (ebits - 1)) - 1; }
  constexpr int emin() const { return 2 - (1 << (ebits - 1)); }
};
constexpr Elem kE2M1{"E2M1", 2, 1, 2, 4, 0x7, false};
constexpr Elem kE3M2{"E3M2", 3, 2, 4, 6, 0x1F, false};
constexpr Elem kE2M3{"E2M3", 2, 3, 2, 6, 0x1F, false};
constexpr Elem kE4M3{"E4M3", 4, 3, 8, 8, 0x7E, false};
constexpr Elem kE5M2{"E5M2", 5, 2, 15, 8, 0x7B, false};
constexpr Elem kInt8{"INT8", 0, 0, 0, 8, 127, true};

// The value of an element code (FORMATS.md §6.2): NaN and Inf where the element type has them.
float elementValue(const Elem& el, std::uint32_t code) {
  if (el.isInt) return float(std::int8_t(std::uint8_t(code))) / 64.0f;
  const int m = el.mbits;
  const bool neg = (code >> (el.ebits + m)) & 1u;
  const int field = int(code >> m) & ((1 << el.ebits) - 1);
  const int mant = int(code) & ((1 << m) - 1);
  float v;
  if (el.ebits == 4 && field == 15 && mant == 7) v = std::numeric_limits<float>::quiet_NaN();
  else if (el.ebits == 5 && field == 31) v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else if (field == 0) v = std::ldexp(float(mant), 1 - el.bias() - m);
  else v = std::ldexp(float((1 << m) | mant), field - el.bias() - m);
  return neg ? -v : v;
}

template <const Elem& El>
const std::array<float, 256>& valueTable() {
  static const std::array<float, 256> t = [] {
    std::array<float, 256> a{};
    for (std::uint32_t c = 0; c < (1u << El.bits); ++c) a[c] = elementValue(El, c);
    return a;
  }();
  return t;
}

constexpr int kBlock = 32;
template <const Elem& El>
constexpr int blockBytes() {
  return 1 + kBlock * El.bits / 8;
}

// The 32 element codes of one block (values x, scale exponent se).
template <const Elem& El>
inline void encodeElements(const float* x, int se, std::uint8_t* codes) {
  const float inv = pow2f(-se);
  if constexpr (El.isInt) {
    for (int i = 0; i < kBlock; ++i) {
      const float a = std::fabs(x[i] * inv);
      const int r = std::min(int(a * 64.0f + 0.5f), 127);
      codes[i] = std::uint8_t(x[i] < 0.0f ? -r : r);
    }
  } else {
    constexpr int m = El.mbits, emin = El.emin(), signShift = El.ebits + El.mbits;
    for (int i = 0; i < kBlock; ++i) {
      const std::uint32_t ab = std::bit_cast<std::uint32_t>(x[i] * inv) & 0x7fffffffu;
      const int p = std::max(int(ab >> 23) - 127, emin);
      const float t = std::bit_cast<float>(ab) * std::bit_cast<float>(std::uint32_t(127 + m - p) << 23);
      const int r = int(t + 0.5f);
      const int mag = std::min(((p - emin) << m) + r, El.maxMag);
      codes[i] = std::uint8_t(mag | (x[i] < 0.0f ? 1 << signShift : 0));
    }
  }
}

// Packs 32 codes after the scale byte (FORMATS.md §6.3).
template <const Elem& El>
inline void packElements(const std::uint8_t* codes, std::uint8_t* out) {
  if constexpr (El.bits == 8) {
    std::memcpy(out, codes, kBlock);
  } else if constexpr (El.bits == 4) {
    for (int j = 0; j < kBlock / 2; ++j) out[j] = std::uint8_t(codes[2 * j] | codes[2 * j + 1] << 4);
  } else {
    for (int g = 0; g < kBlock / 4; ++g) {
      const std::uint32_t w = std::uint32_t(codes[4 * g]) | std::uint32_t(codes[4 * g + 1]) << 6 |
                              std::uint32_t(codes[4 * g + 2]) << 12 | std::uint32_t(codes[4 * g + 3]) << 18;
      out[3 * g] = std::uint8_t(w);
      out[3 * g + 1] = std::uint8_t(w >> 8);
      out[3 * g + 2] = std::uint8_t(w >> 16);
    }
  }
}

template <const Elem& El>
inline void unpackElements(const std::uint8_t* in, std::uint8_t* codes) {
  if constexpr (El.bits == 8) {
    std::memcpy(codes, in, kBlock);
  } else if constexpr (El.bits == 4) {
    for (int j = 0; j < kBlock / 2; ++j) {
      codes[2 * j] = in[j] & 15u;
      codes[2 * j + 1] = in[j] >> 4;
    }
  } else {
    for (int g = 0; g < kBlock / 4; ++g) {
      const std::uint32_t w = std::uint32_t(in[3 * g]) | std::uint32_t(in[3 * g + 1]) << 8 | std::uint32_t(in[3 * g + 2]) << 16;
      for (int k = 0; k < 4; ++k) codes[4 * g + k] = std::uint8_t((w >> (6 * k)) & 63u);
    }
  }
}

template <const Elem& El>
void quantizeMx(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  const Log2Boundaries& lb = log2Boundaries();
  std::uint8_t codes[kBlock];
  for (std::size_t b = 0; b < blocks; ++b, x += kBlock, out += blockBytes<El>()) {
    std::uint32_t amax = 0;
    for (int i = 0; i < kBlock; ++i) amax = std::max(amax, std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu);
    const int se = sharedExponent(amax, El.emax, lb);
    out[0] = std::uint8_t(se + 127);
    encodeElements<El>(x, se, codes);
    packElements<El>(codes, out + 1);
  }
}

template <const Elem& El>
void dequantizeMx(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  const std::array<float, 256>& table = valueTable<El>();
  std::uint8_t codes[kBlock];
  for (std::size_t b = 0; b < blocks; ++b, in += blockBytes<El>(), out += kBlock) {
    const float scale = e8m0Value(in[0]);
    unpackElements<El>(in + 1, codes);
    for (int i = 0; i < kBlock; ++i) out[i] = table[codes[i]] * scale;
  }
}

template <const Elem& El>
void codesMx(const std::uint8_t* block, std::uint8_t* out) {
  unpackElements<El>(block + 1, out);
}

std::string powerOfTwo(int k) { return "2^" + std::to_string(k); }

template <const Elem& El>
void inspectMx(const std::uint8_t* block, float, BlockView& v) {
  const std::uint8_t code = block[0];
  const float scale = e8m0Value(code);
  v = BlockView{};
  v.structure = std::string("block of 32 ") + El.name + " values sharing an E8M0 power-of-two scale " +
                (code == 255 ? std::string("NaN (code 255)") : powerOfTwo(int(code) - 127));
  v.constants.push_back({"e8m0", code, 8, scale});
  v.subBlocks = 1;
  v.codes.resize(kBlock);
  unpackElements<El>(block + 1, v.codes.data());
  const std::array<float, 256>& table = valueTable<El>();
  v.values.resize(kBlock);
  for (int i = 0; i < kBlock; ++i) v.values[std::size_t(i)] = table[v.codes[std::size_t(i)]] * scale;
  std::vector<float> levels;
  for (std::uint32_t c = 0; c < (1u << El.bits); ++c) {
    const float value = table[c] * scale;
    if (std::isfinite(value)) levels.push_back(value == 0.0f ? 0.0f : value);
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  v.levels.push_back(std::move(levels));
}

template <const Elem& El>
FormatDesc withCodec(FormatDesc d) {
  return formats::withCodec(std::move(d), quantizeMx<El>, dequantizeMx<El>, codesMx<El>, inspectMx<El>);
}

}  // namespace

namespace mx {

int floorLog2fReference(float amax) { return int(std::floor(float(std::log2(double(amax))))); }

int floorLog2f(float amax) { return floorLog2Bits(std::bit_cast<std::uint32_t>(amax), log2Boundaries()); }

}  // namespace mx

std::vector<FormatDesc> mxFormats() {
  using formats::rawDesc;
  return {
      withCodec<kE2M1>(rawDesc(TensorFormat::MXFP4, "mxfp4", "mx", "OCP MX", "OCP MXFP4: 32 E2M1 values sharing an E8M0 scale", 4, 32, 17, RowRule::PadRows)),
      withCodec<kE3M2>(rawDesc(TensorFormat::MXFP6E3M2, "mxfp6-e3m2", "mx", "OCP MX", "OCP MXFP6 E3M2: 32 values sharing an E8M0 scale", 6, 32, 25, RowRule::PadRows)),
      withCodec<kE2M3>(rawDesc(TensorFormat::MXFP6E2M3, "mxfp6-e2m3", "mx", "OCP MX", "OCP MXFP6 E2M3: 32 values sharing an E8M0 scale", 6, 32, 25, RowRule::PadRows)),
      withCodec<kE4M3>(rawDesc(TensorFormat::MXFP8E4M3, "mxfp8-e4m3", "mx", "OCP MX", "OCP MXFP8 E4M3: 32 values sharing an E8M0 scale", 8, 32, 33, RowRule::PadRows)),
      withCodec<kE5M2>(rawDesc(TensorFormat::MXFP8E5M2, "mxfp8-e5m2", "mx", "OCP MX", "OCP MXFP8 E5M2: 32 values sharing an E8M0 scale", 8, 32, 33, RowRule::PadRows)),
      withCodec<kInt8>(rawDesc(TensorFormat::MXINT8, "mxint8", "mx", "OCP MX", "OCP MXINT8: 32 int8 values (k/64) sharing an E8M0 scale", 8, 32, 33, RowRule::PadRows)),
  };
}

}  // namespace qviz::core
