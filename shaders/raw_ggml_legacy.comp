#version 430 core
// ggml's legacy formats Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (FORMATS.md §2), blocks of 32 values, raw
// blocks as ggml lays them out; must equal the core's codecs byte for byte (quantize) and bit for
// bit (dequantize). One invocation per block; the driver is app/gpu/raw_kernels.cpp.
layout(local_size_x = 64) in;
#include "common/raw.glsl"
#include "common/raw_float.glsl"
#include "common/raw_arith.glsl"

#if defined(FMT_Q8_0)
#define BLOCK_BYTES 34u
#elif defined(FMT_Q4_0)
#define BLOCK_BYTES 18u
#elif defined(FMT_Q4_1)
#define BLOCK_BYTES 20u
#elif defined(FMT_Q5_0)
#define BLOCK_BYTES 22u
#elif defined(FMT_Q5_1)
#define BLOCK_BYTES 24u
#else
#error "raw_ggml_legacy.comp: no FMT_* format define"
#endif

#if defined(FMT_Q4_1) || defined(FMT_Q5_1)
#define HAS_MIN 1
#endif
#if defined(FMT_Q4_0)
#define QS_AT 2u
#elif defined(FMT_Q5_0)
#define QS_AT 6u
#elif defined(FMT_Q5_1)
#define QS_AT 8u
#else
#define QS_AT 4u
#endif

#ifdef QUANTIZE
void quantizeBlock(uint b) {
  uint src = b * 32u, o = b * BLOCK_BYTES;
  float x[32];
  for (uint j = 0u; j < 32u; ++j) x[j] = s_x[src + j];
  uint c[32];
#if defined(FMT_Q8_0)
  float amax = 0.0;
  for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(x[j]));
  precise float d = crDiv(amax, 127.0);
  precise float id = d != 0.0 ? crDiv(1.0, d) : 0.0;
  for (uint j = 0u; j < 32u; ++j) {
    precise float t = x[j] * id;
    c[j] = uint(cInt8(roundAway(t))) & 255u;  // +-Inf, NaN: 0
  }
  putU16(o, halfBits(d));
  for (uint j = 0u; j < 32u; ++j) putByte(o + 2u + j, c[j]);
#elif defined(FMT_Q4_0) || defined(FMT_Q5_0)
  float amax = 0.0, mx = 0.0;
  for (uint j = 0u; j < 32u; ++j)
    if (abs(x[j]) > amax) {
      amax = abs(x[j]);
      mx = x[j];
    }
#ifdef FMT_Q4_0
  precise float d = crDiv(mx, -8.0);
#else
  precise float d = crDiv(mx, -16.0);
#endif
  precise float id = d != 0.0 ? crDiv(1.0, d) : 0.0;
  for (uint j = 0u; j < 32u; ++j) {
    precise float t = x[j] * id;
#ifdef FMT_Q4_0
    precise float v = t + 8.5;
    c[j] = uint(min(15, cInt8(v)));
#else
    precise float v = t + 16.5;
    c[j] = uint(min(31, cInt8(v)));
#endif
  }
  putU16(o, halfBits(d));
#else  // Q4_1, Q5_1
  float mn = 3.402823466e38, mx = -3.402823466e38;
  for (uint j = 0u; j < 32u; ++j) {
    if (x[j] < mn) mn = x[j];
    if (x[j] > mx) mx = x[j];
  }
#ifdef FMT_Q4_1
  precise float d = crDiv(mx - mn, 15.0);
#else
  precise float d = crDiv(mx - mn, 31.0);
#endif
  precise float id = d != 0.0 ? crDiv(1.0, d) : 0.0;
  for (uint j = 0u; j < 32u; ++j) {
    precise float t = (x[j] - mn) * id;
    precise float v = t + 0.5;
#ifdef FMT_Q4_1
    c[j] = uint(min(15, cInt8(v)));
#else
    c[j] = cUint8(v);
#endif
  }
  putU16(o, halfBits(d));
  putU16(o + 2u, halfBits(mn));
#endif
#if !defined(FMT_Q8_0)
  for (uint j = 0u; j < 16u; ++j) putByte(o + QS_AT + j, (c[j] & 15u) | (c[j + 16u] & 15u) << 4u);
#if defined(FMT_Q5_0) || defined(FMT_Q5_1)
  uint qh = 0u;
  for (uint j = 0u; j < 32u; ++j) qh |= ((c[j] >> 4u) & 1u) << j;
  uint h = QS_AT - 4u;
  putByte(o + h, qh);
  putByte(o + h + 1u, qh >> 8u);
  putByte(o + h + 2u, qh >> 16u);
  putByte(o + h + 3u, qh >> 24u);
#endif
#endif
}
#endif

#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint o = b * BLOCK_BYTES, dst = b * 32u;
  float d = halfValue(getU16(o));
#if defined(FMT_Q8_0)
  for (uint j = 0u; j < 32u; ++j) {
    int q = (int(getByte(o + 2u + j)) << 24) >> 24;
    precise float v = float(q) * d;
    s_y[dst + j] = v;
  }
#else
#ifdef HAS_MIN
  float m = halfValue(getU16(o + 2u));
#endif
#if defined(FMT_Q5_0) || defined(FMT_Q5_1)
  uint h = QS_AT - 4u;
  uint qh = getByte(o + h) | getByte(o + h + 1u) << 8u | getByte(o + h + 2u) << 16u | getByte(o + h + 3u) << 24u;
#endif
  for (uint j = 0u; j < 32u; ++j) {
    uint c = (getByte(o + QS_AT + (j & 15u)) >> (j < 16u ? 0u : 4u)) & 15u;
#if defined(FMT_Q5_0) || defined(FMT_Q5_1)
    c |= ((qh >> j) & 1u) << 4u;
#endif
#if defined(FMT_Q4_0)
    precise float v = float(int(c) - 8) * d;
#elif defined(FMT_Q5_0)
    precise float v = float(int(c) - 16) * d;
#else
    precise float p = float(c) * d;
    precise float v = p + m;
#endif
    s_y[dst + j] = v;
  }
#endif
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
