#version 430 core
// NVFP4 as torchao computes it (FORMATS.md §7): E2M1 in blocks of 16 with an E4M3 scale each;
// nvfp4 (two-level) also has the float32 tensor scale pts = amax / 2688, which the driver computes
// with the codec's RawCodec::tensorScale, writes as the 4-byte header and passes as u_tensorScale.
// nvfp4-1level has no tensor scale. Per block: 1 byte E4M3 scale, 8 bytes of codes (2j, 2j+1).
layout(local_size_x = 64) in;
#include "common/raw.glsl"
#include "common/raw_float.glsl"

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

// E2M1 round to nearest even of |v| <= 6: the grid index (ties to the even mantissa).
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
  precise float bs = amax / 6.0;
#ifdef TWO_LEVEL
  precise float r = bs / u_tensorScale;
#else
  precise float r = bs;
#endif
  r = clamp(r, 0.015625, 448.0);
  uint s8 = e4m3Rne(r);
  float s = e4m3Value(s8);
#ifdef TWO_LEVEL
  precise float inv = 1.0 / u_tensorScale;
  precise float k = inv / s;
#else
  precise float k = 1.0 / s;
#endif
  putByte(o, s8);
  uint c[16];
  for (uint j = 0u; j < 16u; ++j) {
    precise float v = x[j] * k;
    v = clamp(v, -6.0, 6.0);
    c[j] = (floatBitsToUint(v) >> 31u) << 3u | e2m1Rne(abs(v));
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
