// IEEE half precision conversions (see half.hpp).
#include "util/half.hpp"

#include <bit>

namespace qviz::core {

float halfToFloat(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float32 normal.
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

std::uint16_t floatToHalf(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = std::uint16_t((x >> 16) & 0x8000u);
  const std::uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u)  // Inf stays Inf, NaN stays a quiet NaN
    return std::uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  if (absx >= 0x477ff000u) return std::uint16_t(sign | 0x7c00u);  // rounds to >= 65520: overflow
  if (absx < 0x38800000u) {
    // Half subnormal (or zero): value = m * 2^-24; round |f| * 2^24 to nearest even.
    if (absx < 0x33000000u) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to even 0)
    const std::uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 126 - int(absx >> 23);  // 14..24
    std::uint32_t q = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return std::uint16_t(sign | q);
  }
  // Normal: rebias, round the 13 dropped mantissa bits to nearest even (a carry may bump the exponent).
  std::uint32_t h = ((absx >> 23) - 112u) << 10 | ((absx >> 13) & 0x3ffu);
  const std::uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return std::uint16_t(sign | h);
}

}  // namespace qviz::core
