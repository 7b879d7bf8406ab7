#version 430 core
// ggml's own MXFP4 (blocks of 32, E8M0 scale) and NVFP4 (blocks of 64 = 4 x 16, a UE4M3 scale per
// 16), FORMATS.md §5: E2M1 stored doubled (codes 0..15 -> 0 1 2 3 4 6 8 12, bit 3 the sign) against
// a halved scale; each value takes the first code of smallest error (ties toward zero).
// ggml-mxfp4's floor(log2f(amax)) comes from the bits and the driver's boundary table (exact on any
// GPU); its halved scales and the dequantized values are built from bits (subnormals included).
layout(local_size_x = 64) in;
#define RAW_LOG2 1
#include "common/raw.glsl"
#include "common/raw_float.glsl"
#include "common/raw_arith.glsl"

#if defined(FMT_GGML_MXFP4)
#define BLOCK_VALUES 32u
#define BLOCK_BYTES 17u
#elif defined(FMT_GGML_NVFP4)
#define BLOCK_VALUES 64u
#define BLOCK_BYTES 36u
#else
#error "raw_ggml_fp4.comp: no FMT_* format define"
#endif

const int kValues[16] = int[16](0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);

// v * 2^e for the small integers of the table, exact (built from bits).
float tableValue(uint c, int e) {
  int v = kValues[c];
  float a = exactScaled(uint(abs(v)), e);
  return v < 0 ? -a : a;
}

#ifdef QUANTIZE
// The first code whose |table[c]*s - x| is strictly smallest (float32).
uint nearestCode(float x, float s) {
  uint best = 0u;
  precise float p0 = float(kValues[0]) * s;
  precise float bestErr = abs(p0 - x);
  for (uint c = 1u; c < 16u; ++c) {
    precise float p = float(kValues[c]) * s;
    precise float err = abs(p - x);
    if (err < bestErr) {
      bestErr = err;
      best = c;
    }
  }
  return best;
}
#endif

#if defined(FMT_GGML_MXFP4)
// The halved E8M0 scale 2^(e-128) (a float32 subnormal for e < 2).
float halvedE8m0(uint e) { return pow2f(int(e) - 128); }

#ifdef QUANTIZE
void quantizeBlock(uint b) {
  uint src = b * 32u, o = b * BLOCK_BYTES;
  float x[32];
  uint amax = 0u;
  for (uint j = 0u; j < 32u; ++j) {
    x[j] = s_x[src + j];
    amax = max(amax, floatBitsToUint(x[j]) & 0x7fffffffu);
  }
  // (uint8)(floorf(log2f(amax)) - 2 + 127): the value mod 256 where it is negative (tiny blocks).
  uint e = amax != 0u ? uint(floorLog2f(amax) + 125) & 255u : 0u;
  float s = halvedE8m0(e);
  putByte(o, e);
  uint c[32];
  for (uint j = 0u; j < 32u; ++j) c[j] = nearestCode(x[j], s);
  for (uint j = 0u; j < 16u; ++j) putByte(o + 1u + j, c[j] | c[j + 16u] << 4u);
}
#endif
#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint o = b * BLOCK_BYTES, dst = b * 32u;
  int e = int(getByte(o)) - 128;
  for (uint j = 0u; j < 16u; ++j) {
    uint byte = getByte(o + 1u + j);
    s_y[dst + j] = tableValue(byte & 15u, e);
    s_y[dst + j + 16u] = tableValue(byte >> 4u, e);
  }
}
#endif

#else  // ggml-nvfp4
// ggml's UE4M3 encoder (not RNE) of v = amax16 / 6.
uint ue4m3(float v) {
  uint bits = floatBitsToUint(v);
  if (!(v > 0.0) || (bits & 0x7fffffffu) > 0x7f800000u) return 0u;
  if (v > 448.0) v = 448.0;
  bits = floatBitsToUint(v);
  int E = int((bits >> 23u) & 255u) - 127;
  uint m3 = (bits >> 20u) & 7u, r = (bits >> 19u) & 1u;
  if (E + 7 <= 0) {
    precise float t = v * 512.0;
    precise float u = t + 0.5;
    int m = min(int(u), 7);
    return m < 1 ? 0u : uint(m);
  }
  if (E + 7 >= 15) return 0x7eu;
  uint man = m3 + r;
  if (man > 7u) {
    man = 0u;
    ++E;
    if (E + 7 >= 15) return 0x7eu;
  }
  return uint(E + 7) << 3u | man;
}

// The halved UE4M3 scale: 0 and 0x7f -> 0; exponent 0: man * 2^-9; else (1 + man/8) * 2^(exp-7); times 0.5.
float halvedUe4m3(uint c) {
  if (c == 0u || c == 0x7fu) return 0.0;
  uint ex = (c >> 3u) & 15u, man = c & 7u;
  return ex == 0u ? exactScaled(man, -10) : exactScaled(man | 8u, int(ex) - 11);
}

#ifdef QUANTIZE
void quantizeBlock(uint b) {
  uint src = b * 64u, o = b * BLOCK_BYTES;
  for (uint sb = 0u; sb < 4u; ++sb) {
    float x[16];
    float amax = 0.0;
    for (uint j = 0u; j < 16u; ++j) {
      x[j] = s_x[src + 16u * sb + j];
      amax = max(amax, abs(x[j]));
    }
    precise float v = crDiv(amax, 6.0);
    uint d = ue4m3(v);
    putByte(o + sb, d);
    float s = halvedUe4m3(d);
    uint c[16];
    for (uint j = 0u; j < 16u; ++j) c[j] = nearestCode(x[j], s);
    for (uint j = 0u; j < 8u; ++j) putByte(o + 4u + 8u * sb + j, c[j] | c[j + 8u] << 4u);
  }
}
#endif
#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint o = b * BLOCK_BYTES, dst = b * 64u;
  for (uint sb = 0u; sb < 4u; ++sb) {
    float s = halvedUe4m3(getByte(o + sb));
    for (uint j = 0u; j < 8u; ++j) {
      uint byte = getByte(o + 4u + 8u * sb + j);
      precise float lo = float(kValues[byte & 15u]) * s;
      precise float hi = float(kValues[byte >> 4u]) * s;
      s_y[dst + 16u * sb + j] = lo;
      s_y[dst + 16u * sb + j + 8u] = hi;
    }
  }
}
#endif
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
