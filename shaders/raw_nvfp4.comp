#version 430 core
// NVFP4 as torchao computes it (FORMATS.md §7): E2M1 in blocks of 16 with an E4M3 scale each;
// nvfp4 (two-level) also has the float32 tensor scale pts = amax / 2688, which the driver computes
// with the codec's RawCodec::tensorScale, writes as the 4-byte header and passes as u_tensorScale.
// nvfp4-1level has no tensor scale. Per block: 1 byte E4M3 scale, 8 bytes of codes (2j, 2j+1).
// Every division is crDiv (common/raw_arith.glsl, correctly rounded, subnormals included).
layout(local_size_x = 64) in;
#include "common/raw.glsl"
#include "common/raw_float.glsl"
#include "common/raw_arith.glsl"

#if defined(FMT_NVFP4)
#define HEADER_BYTES 4u
#define TWO_LEVEL 1
#elif defined(FMT_NVFP4_1LEVEL)
#define HEADER_BYTES 0u
#else
#error "raw_nvfp4.comp: no FMT_* format define"
#endif
#define BLOCK_BYTES 9u

// E2M1 magnitudes by code (bit 3 is the sign).
const float kE2M1[8] = float[8](0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0);

#ifdef QUANTIZE
// E4M3 round to nearest even of r, a normal float in [2^-6, 448] (from its bits).
uint e4m3Rne(float r) {
  uint bits = floatBitsToUint(r);
  int e = int(bits >> 23u) - 127;
  uint m = bits & 0x7fffffu, q = m >> 20u, rem = m & 0xfffffu;
  if (rem > 0x80000u || (rem == 0x80000u && (q & 1u) != 0u)) ++q;
  if (q == 8u) {
    q = 0u;
    ++e;
  }
  return uint(e + 7) << 3u | q;
}
float e4m3Value(uint c) { return uintBitsToFloat(((c >> 3u) + 120u) << 23u | (c & 7u) << 20u); }  // normal codes only

// E2M1 round to nearest even of |v| (anything above 5, +inf included, is 7): the grid index
// (ties to the even mantissa).
uint e2m1Rne(float a) {
  if (a <= 0.25) return 0u;
  if (a < 0.75) return 1u;
  if (a <= 1.25) return 2u;
  if (a < 1.75) return 3u;
  if (a <= 2.5) return 4u;
  if (a < 3.5) return 5u;
  if (a <= 5.0) return 6u;
  return 7u;
}

void quantizeBlock(uint b) {
  uint src = b * 16u, o = HEADER_BYTES + b * BLOCK_BYTES;
  float x[16];
  float amax = 0.0;
  for (uint j = 0u; j < 16u; ++j) {
    x[j] = s_x[src + j];
    amax = max(amax, abs(x[j]));
  }
  precise float bs = crDiv(amax, 6.0);
#ifdef TWO_LEVEL
  precise float r = crDiv(bs, u_tensorScale);
#else
  precise float r = bs;
#endif
  r = clamp(r, 0.015625, 448.0);
  uint s8 = e4m3Rne(r);
  float s = e4m3Value(s8);
#ifdef TWO_LEVEL
  precise float inv = crDiv(1.0, u_tensorScale);
  precise float k = crDiv(inv, s);
  // 1/pts not finite (pts = 0, or pts <= 2^-128: the tensor's max |x| below about 2^-117), outside
  // torchao's contract: the core's rule, scale 2^-6 (code 0x08) and every element code 0 (+0).
  bool outside = (floatBitsToUint(inv) & 0x7fffffffu) >= 0x7f800000u;
  s8 = outside ? 0x08u : s8;
#else
  precise float k = crDiv(1.0, s);
  bool outside = false;
#endif
  putByte(o, s8);
  uint c[16];
  // The code of v = x * k from |v| and v's sign bit, as the core (no clamp: +-inf gives code 7, as
  // 6 would). k is positive, finite or +inf (where (1/pts)/s overflows, 1/pts > 2^122); a zero x
  // times an infinite k is then the x86 default NaN 0xffc00000, which the core codes as 8 (-0).
  // GLSL's clamp and comparisons give no NaN result to rely on, so that case is taken from the bits.
  bool kInf = (floatBitsToUint(k) & 0x7fffffffu) == 0x7f800000u;
  for (uint j = 0u; j < 16u; ++j) {
    precise float v = x[j] * k;
    bool invalid = kInf && (floatBitsToUint(x[j]) & 0x7fffffffu) == 0u;
    uint code = invalid ? 8u : (floatBitsToUint(v) >> 31u) << 3u | e2m1Rne(abs(v));
    c[j] = outside ? 0u : code;
  }
  for (uint j = 0u; j < 8u; ++j) putByte(o + 1u + j, c[2u * j] | c[2u * j + 1u] << 4u);
}
#endif

#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint o = HEADER_BYTES + b * BLOCK_BYTES, dst = b * 16u;
  uint s8 = getByte(o);
  // E4M3 (float8_e4m3fn): exponent field 0 is subnormal (m * 2^-9), 0x7f / 0xff NaN.
  uint ef = (s8 >> 3u) & 15u, mf = s8 & 7u;
  float s = ef == 0u ? exactScaled(mf, -9) : exactScaled(mf | 8u, int(ef) - 10);
  if ((s8 & 0x7fu) == 0x7fu) s = uintBitsToFloat(0x7fc00000u);
  if ((s8 & 0x80u) != 0u) s = -s;
#ifdef TWO_LEVEL
  precise float scale = u_tensorScale * s;
#else
  float scale = s;
#endif
  for (uint j = 0u; j < 8u; ++j) {
    uint byte = getByte(o + 1u + j);
    for (uint h = 0u; h < 2u; ++h) {
      uint c = (byte >> (4u * h)) & 15u;
      float e = kE2M1[c & 7u];
      if ((c & 8u) != 0u) e = -e;
      precise float v = e * scale;
      s_y[dst + 2u * j + h] = v;
    }
  }
}
#endif

void main() {
  FOR_EACH_BLOCK(b) {
#ifdef QUANTIZE
    quantizeBlock(b);
#else
    dequantizeBlock(b);
#endif
  }
}
