#version 430 core
// ggml's IQ4_NL (32; ntry = -1 as quantize_row_iq4_nl_ref, and ntry = 7 as llama-quantize writes
// it) and IQ4_XS (256 = 8 x 32, ntry = 7), FORMATS.md §4: indices into a 16-value non-linear table
// with a least-squares scale search; no importance matrix (weights x*x). An all-zero IQ4_NL block
// gets code 8 (best_index(0)), as the core writes it (the reference leaves those codes unspecified).
layout(local_size_x = 64) in;
#include "common/raw.glsl"
#include "common/raw_float.glsl"
#include "common/raw_arith.glsl"

#if defined(FMT_IQ4_NL)
#define NTRY -1
#define BLOCK_VALUES 32u
#define BLOCK_BYTES 18u
#elif defined(FMT_IQ4_NL_NTRY7)
#define NTRY 7
#define BLOCK_VALUES 32u
#define BLOCK_BYTES 18u
#elif defined(FMT_IQ4_XS)
#define NTRY 7
#define IQ4_XS 1
#define BLOCK_VALUES 256u
#define BLOCK_BYTES 136u
#else
#error "raw_ggml_iq4.comp: no FMT_* format define"
#endif

const float kTable[16] = float[16](-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0,
                                   53.0, 69.0, 89.0, 113.0);

#ifdef QUANTIZE
// best_index: 0 at or below -127, 15 at or above 113; else the upper of the adjacent pair unless
// v is strictly nearer the lower one.
uint bestIndex(float v) {
  if (v <= kTable[0]) return 0u;
  if (v >= kTable[15]) return 15u;
  uint lo = 0u;
  for (uint i = 1u; i < 15u; ++i)
    if (v >= kTable[i]) lo = i;
  precise float dl = v - kTable[lo];
  precise float dh = kTable[lo + 1u] - v;
  return dl < dh ? lo : lo + 1u;
}

// One 32-value sub-block fit: its scale; idx gets the first pass's codes (untouched below GROUP_MAX_EPS).
float fitSubBlock(float x[32], inout uint idx[32]) {
  float amax = 0.0, mx = 0.0;
  for (uint j = 0u; j < 32u; ++j)
    if (abs(x[j]) > amax) {
      amax = abs(x[j]);
      mx = x[j];
    }
  if (amax < 1e-15) return 0.0;
  float w[32];
  for (uint j = 0u; j < 32u; ++j) {
    precise float ww = x[j] * x[j];
    w[j] = ww;
  }
#if NTRY > 0
  precise float nmx = -mx;
  precise float d = crDiv(nmx, -127.0);
#else
  precise float d = crDiv(mx, -127.0);
#endif
  precise float id = crDiv(1.0, d);
  precise float sumqx = 0.0, sumq2 = 0.0;
  for (uint j = 0u; j < 32u; ++j) {
    precise float t = id * x[j];
    uint l = bestIndex(t);
    idx[j] = l;
    float q = kTable[l];
    precise float a = w[j] * q;
    precise float ax = a * x[j];
    precise float aq = a * q;
    sumqx = sumqx + ax;
    sumq2 = sumq2 + aq;
  }
  d = sumq2 > 0.0 ? crDiv(sumqx, sumq2) : 0.0;
  precise float best = d * sumqx;
  for (int itry = -NTRY; itry <= NTRY; ++itry) {
    id = crDiv(float(itry - 127), mx);
    sumqx = 0.0;
    sumq2 = 0.0;
    for (uint j = 0u; j < 32u; ++j) {
      precise float t = id * x[j];
      float q = kTable[bestIndex(t)];
      precise float a = w[j] * q;
      precise float ax = a * x[j];
      precise float aq = a * q;
      sumqx = sumqx + ax;
      sumq2 = sumq2 + aq;
    }
    precise float lhs = sumqx * sumqx;
    precise float rhs = best * sumq2;
    if (sumq2 > 0.0 && lhs > rhs) {
      d = crDiv(sumqx, sumq2);
      best = d * sumqx;
    }
  }
  return d;
}

void putCodes(uint at, uint idx[32]) {
  for (uint j = 0u; j < 16u; ++j) putByte(at + j, idx[j] | idx[j + 16u] << 4u);
}

#ifndef IQ4_XS
void quantizeBlock(uint b) {
  uint src = b * 32u, o = b * BLOCK_BYTES;
  float x[32];
  uint idx[32];
  for (uint j = 0u; j < 32u; ++j) {
    x[j] = s_x[src + j];
    idx[j] = 8u;
  }
  float scale = fitSubBlock(x, idx);
  putU16(o, halfBits(scale));
#if NTRY > 0
  precise float id = scale != 0.0 ? crDiv(1.0, scale) : 0.0;
  for (uint j = 0u; j < 32u; ++j) {
    precise float t = id * x[j];
    idx[j] = bestIndex(t);
  }
#endif
  putCodes(o + 2u, idx);
}
#else
void quantizeBlock(uint b) {
  uint src = b * 256u, o = b * BLOCK_BYTES;
  float scales[8];
  float amaxScale = 0.0, maxScale = 0.0;
  for (uint ib = 0u; ib < 8u; ++ib) {
    float x[32];
    uint idx[32];
    for (uint j = 0u; j < 32u; ++j) {
      x[j] = s_x[src + 32u * ib + j];
      idx[j] = 8u;
    }
    scales[ib] = fitSubBlock(x, idx);
    if (abs(scales[ib]) > amaxScale) {
      amaxScale = abs(scales[ib]);
      maxScale = scales[ib];
    }
  }
  precise float nms = -maxScale;
  precise float d = crDiv(nms, 32.0);
  putU16(o, halfBits(d));
  precise float id = d != 0.0 ? crDiv(1.0, d) : 0.0;
  uint scalesH = 0u;
  for (uint ib = 0u; ib < 8u; ++ib) {
    precise float t = id * scales[ib];
    int l = clamp(nearestInt(t), -32, 31);
    precise float dl = d * float(l);
    precise float idl = dl != 0.0 ? crDiv(1.0, dl) : 0.0;
    uint idx[32];
    for (uint j = 0u; j < 32u; ++j) {
      precise float v = idl * s_x[src + 32u * ib + j];
      idx[j] = bestIndex(v);
    }
    putCodes(o + 8u + 16u * ib, idx);
    uint ls = uint(l + 32);
    putByte(o + 4u + ib / 2u, (ls & 15u) << (4u * (ib % 2u)));
    scalesH |= (ls >> 4u) << (2u * ib);
  }
  putU16(o + 2u, scalesH);
}
#endif
#endif

#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint o = b * BLOCK_BYTES, dst = b * BLOCK_VALUES;
  float d = halfValue(getU16(o));
#ifndef IQ4_XS
  for (uint j = 0u; j < 16u; ++j) {
    uint byte = getByte(o + 2u + j);
    precise float lo = d * kTable[byte & 15u];
    precise float hi = d * kTable[byte >> 4u];
    s_y[dst + j] = lo;
    s_y[dst + j + 16u] = hi;
  }
#else
  uint scalesH = getU16(o + 2u);
  for (uint ib = 0u; ib < 8u; ++ib) {
    uint ls = ((getByte(o + 4u + ib / 2u) >> (4u * (ib % 2u))) & 15u) | ((scalesH >> (2u * ib)) & 3u) << 4u;
    precise float dl = d * float(int(ls) - 32);
    for (uint j = 0u; j < 16u; ++j) {
      uint byte = getByte(o + 8u + 16u * ib + j);
      precise float lo = dl * kTable[byte & 15u];
      precise float hi = dl * kTable[byte >> 4u];
      s_y[dst + 32u * ib + j] = lo;
      s_y[dst + 32u * ib + j + 16u] = hi;
    }
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
