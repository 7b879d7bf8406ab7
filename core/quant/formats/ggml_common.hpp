// What ggml's block formats share (FORMATS.md §0): its nearest_int, the fp16 store of a scale,
// GROUP_MAX_EPS, and little-endian byte access. Internal to quant/formats/.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "util/half.hpp"

namespace qviz::core::ggml {

inline constexpr float kGroupMaxEps = 1e-15f;

// ggml's nearest_int: v + 1.5*2^23 (one float32 addition), the low 23 bits of the sum's pattern
// minus 0x400000. Round half to even for |v| < 2^22; +-inf give -4194304, NaN 0 (as ggml, with NDEBUG).
inline int nearestInt(float v) {
  const float sum = v + 12582912.0f;
  std::int32_t bits;
  std::memcpy(&bits, &sum, 4);
  return (bits & 0x007fffff) - 0x00400000;
}

// fp16 store and read-back (the f32(d) of the contract).
inline std::uint16_t fp16(float v) { return floatToHalf(v); }
inline float f32(std::uint16_t h) { return halfToFloat(h); }

inline void putU16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v);
  p[1] = std::uint8_t(v >> 8);
}
inline std::uint16_t getU16(const std::uint8_t* p) { return std::uint16_t(p[0] | p[1] << 8); }
inline void putU32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i));
}
inline std::uint32_t getU32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

// ggml's (int8_t)(v) and (uint8_t)(v) as x86-64 gcc compiles them: a 32-bit truncating conversion
// (cvttss2si) whose low byte is kept. Out of the int32 range, and for +-inf and NaN (the scaled
// values of a block of float32 subnormals, FORMATS.md §2), the conversion gives 0x80000000: byte 0.
inline std::uint8_t truncByte(float v) {
  const std::int32_t i = (v > -2147483648.0f && v < 2147483648.0f) ? std::int32_t(v) : INT32_MIN;
  return std::uint8_t(std::uint32_t(i) & 0xffu);
}
inline std::int8_t truncInt8(float v) { return std::int8_t(truncByte(v)); }

// The first element of largest magnitude (FORMATS.md §0, "first argmax |x|"): amax = its |x|,
// max = its signed value; both 0 for an all-zero block.
struct FirstArgmax {
  float amax = 0.0f, max = 0.0f;
};
inline FirstArgmax firstArgmax(const float* x, int n) {
  FirstArgmax r;
  for (int i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (a > r.amax) {
      r.amax = a;
      r.max = x[i];
    }
  }
  return r;
}

// A nibble pair byte (FORMATS.md §0): a in bits 0-3, b in bits 4-7.
inline std::uint8_t nibblePair(int a, int b) { return std::uint8_t((a & 15) | (b & 15) << 4); }

// A block inspector's level list: the values given, ascending, each once (+0 and -0 count as one).
inline std::vector<float> sortedLevels(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end(), [](float a, float b) { return a == b; }), v.end());
  return v;
}

}  // namespace qviz::core::ggml
