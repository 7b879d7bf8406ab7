// What ggml's block formats share (FORMATS.md §0): its nearest_int, the fp16 store of a scale,
// GROUP_MAX_EPS, and little-endian byte access. Internal to quant/formats/.
#pragma once
#include <cstdint>
#include <cstring>

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

}  // namespace qviz::core::ggml
