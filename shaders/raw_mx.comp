#version 430 core
// OCP Microscaling v1.0 as microxcaling computes it (FORMATS.md §6): MXFP4 (E2M1), MXFP6 E3M2 and
// E2M3, MXFP8 E4M3 and E5M2, MXINT8; blocks of 32 with an E8M0 shared scale; elements rounded half
// away from zero, saturating. Byte layout §6.3: the scale code, then the 32 element codes as one
// little-endian bit string. The driver pads partial row blocks with 0.0 (RowRule::PadRows).
//
// Exact on any GPU: every floor(log2f()) comes from the bits and the driver's boundary table
// (u_log2Up), every scaling by a power of two is done on the exponent bits, the one rounding step
// is the contract's float32 addition t + 0.5, and the dequantized values are built from bits.
layout(local_size_x = 64) in;
#define RAW_LOG2 1
#include "common/raw.glsl"
#include "common/raw_float.glsl"
#include "common/raw_arith.glsl"

#if defined(FMT_MXFP4)
#define EM 1
#define BIAS 1
#define EMAX_ELEM 2
#define MAXFIELD 3u
#define MAXMANT 1u
#define BITS 4u
#elif defined(FMT_MXFP6_E3M2)
#define EM 2
#define BIAS 3
#define EMAX_ELEM 4
#define MAXFIELD 7u
#define MAXMANT 3u
#define BITS 6u
#elif defined(FMT_MXFP6_E2M3)
#define EM 3
#define BIAS 1
#define EMAX_ELEM 2
#define MAXFIELD 3u
#define MAXMANT 7u
#define BITS 6u
#elif defined(FMT_MXFP8_E4M3)
#define EM 3
#define BIAS 7
#define EMAX_ELEM 8
#define MAXFIELD 15u
#define MAXMANT 6u
#define BITS 8u
#elif defined(FMT_MXFP8_E5M2)
#define EM 2
#define BIAS 15
#define EMAX_ELEM 15
#define MAXFIELD 30u
#define MAXMANT 3u
#define BITS 8u
#elif defined(FMT_MXINT8)
#define MX_INT8 1
#define EMAX_ELEM 0
#define BITS 8u
#else
#error "raw_mx.comp: no FMT_* format define"
#endif
#define BLOCK_BYTES (1u + 4u * BITS)
#ifndef MX_INT8
#define EMIN (1 - BIAS)
#endif

#ifdef QUANTIZE
// The code of one element x (bits xb) under the shared exponent se.
uint elementCode(uint xb, int se) {
  uint sign = xb >> 31u, a = xb & 0x7fffffffu;
  // |v| = |x| / 2^se; below 2^-126 (or zero) every grid rounds it to 0 (t + 0.5 == 0.5).
  // (A subnormal x can give a normal |v|: blocks of subnormals have se = -127.)
  bool tiny = a == 0u || binadeOf(a) - se < -126;
  uint neg = (a != 0u && sign != 0u) ? 1u : 0u;  // -0.0 in gives +0.0; a negative value rounding to 0 gives -0.0
  uint vb = tiny ? 0u : (a < 0x00800000u ? floatBitsToUint(exactScaled(a, -149 - se)) : uint(int(a) - (se << 23)));
#ifdef MX_INT8
  uint r = 0u;
  if (!tiny) {
    precise float t = uintBitsToFloat(vb + (6u << 23u));  // |v| * 64, exact
    precise float s = t + 0.5;
    r = min(127u, uint(floor(s)));
  }
  int q = neg != 0u ? -int(r) : int(r);
  return uint(q) & 255u;
#else
  if (tiny) return neg << (BITS - 1u);
  int p = max(floorLog2f(vb), EMIN);
  precise float t = uintBitsToFloat(uint(int(vb) + ((EM - p) << 23)));  // |v| * 2^(m - p), exact
  precise float s = t + 0.5;
  uint r = uint(floor(s));
  uint field, mant;
  if (r == 0u) {
    field = 0u;
    mant = 0u;
  } else {
    if (r == (2u << uint(EM))) {  // rounded up into the next binade
      r = 1u << uint(EM);
      ++p;
    }
    if (p == EMIN && r < (1u << uint(EM))) {
      field = 0u;
      mant = r;
    } else {
      field = uint(p + BIAS);
      mant = r - (1u << uint(EM));
    }
    if (field > MAXFIELD || (field == MAXFIELD && mant > MAXMANT)) {  // saturate to max_norm
      field = MAXFIELD;
      mant = MAXMANT;
    }
  }
  return neg << (BITS - 1u) | field << uint(EM) | mant;
#endif
}

void quantizeBlock(uint b) {
  uint src = b * 32u, o = b * BLOCK_BYTES;
  uint xb[32];
  uint amax = 0u;
  for (uint j = 0u; j < 32u; ++j) {
    xb[j] = floatBitsToUint(s_x[src + j]);
    amax = max(amax, xb[j] & 0x7fffffffu);
  }
  int E = amax == 0u ? -126 : floorLog2f(amax);
  int se = max(E - EMAX_ELEM, -127);
  putByte(o, uint(se + 127));
  uint words[8] = uint[8](0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
  for (uint j = 0u; j < 32u; ++j) {
    uint c = elementCode(xb[j], se), bit = j * BITS;
    words[bit >> 5u] |= c << (bit & 31u);
    if ((bit & 31u) + BITS > 32u) words[(bit >> 5u) + 1u] |= c >> (32u - (bit & 31u));
  }
  for (uint i = 0u; i < 4u * BITS; ++i) putByte(o + 1u + i, words[i >> 2u] >> (8u * (i & 3u)));
}
#endif

#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint o = b * BLOCK_BYTES, dst = b * 32u;
  uint sc = getByte(o);
  int se = int(sc) - 127;
  uint words[8];
  for (uint i = 0u; i < 8u; ++i) words[i] = 0u;
  for (uint i = 0u; i < 4u * BITS; ++i) words[i >> 2u] |= getByte(o + 1u + i) << (8u * (i & 3u));
  for (uint j = 0u; j < 32u; ++j) {
    uint bit = j * BITS;
    uint c = words[bit >> 5u] >> (bit & 31u);
    if ((bit & 31u) + BITS > 32u) c |= words[(bit >> 5u) + 1u] << (32u - (bit & 31u));
    c &= (1u << BITS) - 1u;
    float v;
#ifdef MX_INT8
    int q = (int(c) << 24) >> 24;
    v = exactScaled(uint(abs(q)), se - 6);
    if (q < 0) v = uintBitsToFloat(floatBitsToUint(v) | 0x80000000u);
#else
    uint field = (c >> uint(EM)) & ((1u << (BITS - 1u - uint(EM))) - 1u), mant = c & ((1u << uint(EM)) - 1u);
    if (field == 0u) v = exactScaled(mant, EMIN - EM + se);
    else v = exactScaled(mant | (1u << uint(EM)), int(field) - BIAS - EM + se);
    if ((c >> (BITS - 1u)) != 0u) v = uintBitsToFloat(floatBitsToUint(v) | 0x80000000u);  // -0.0 kept
#endif
    if (sc == 255u) v = uintBitsToFloat(0x7fc00000u);
    s_y[dst + j] = v;
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
