#version 430 core
// ggml's k-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (FORMATS.md §3): super-blocks of 256 values,
// quantize_row_qX_K_ref without an importance matrix, and their dequantizers. Must equal the CPU
// codec (core/quant/formats/ggml_kquants.cpp) and the reference vectors byte for byte and bit for bit.
//
// Compiled with QUANTIZE or DEQUANTIZE and one FMT_Q2_K .. FMT_Q6_K (app/gpu/raw_kernels.cpp);
// bindings, u_blocks and the byte access are common/raw.glsl's. One invocation per super-block
// (grid-stride loop). Quantizing gathers the block's bytes in a private array and writes them as
// whole words; a word shared with a neighbouring block (Q3_K's 110 and Q6_K's 210 bytes are not a
// multiple of 4) is OR-ed in atomically, so the output buffer must be zeroed first.
//
// Exactness. Every float operation is one float32 operation in the contract's order; each result
// goes into a `precise` variable first, so that nothing is contracted into an FMA or reassociated,
// and sums run in index order. The integer steps (ggml's nearest_int, (int8)/(uint8) casts, the
// fp16 store) are exact (common/raw.glsl). GLSL itself promises only 2.5 ULP for `/`, does not
// require sqrt() to be correctly rounded, and lets a driver flush float32 subnormals to zero; so
// every division and square root here is crDiv / crSqrt (common/raw_arith.glsl), which give the
// correctly rounded IEEE result (subnormals, +-0, +-inf and NaN as x86-64 SSE) from integer operations: crSqrt
// digit by digit, crDiv from the driver's quotient of the two significands (any error up to
// 3 ULP is corrected with exact integer remainders). Checked against the CPU on 2.9M operand
// pairs, with the divide's estimate also pushed off by up to 3 ULP ([raw-arith]).
// What remains driver-dependent: + - * must be correctly rounded (GLSL 4.x requires it) and keep
// subnormals (GLSL allows flushing them; Mesa's llvmpipe keeps them, as the subnormal-only test
// super-block shows, so on llvmpipe the kernel is exact); a driver that flushes can differ on
// blocks whose values or products fall below 2^-126 (about 1.2e-38).
layout(local_size_x = 64) in;

#include "common/raw.glsl"
#include "common/raw_arith.glsl"

#if defined(FMT_Q2_K)
#define KQ_BYTES 84u
#define KQ_SUB 16u      // values per sub-block
#define KQ_NMAX 3       // helper A: codes 0..3
#define KQ_RMIN (-0.5)
#define KQ_NSTEP 15
#define KQ_MAD 1
#elif defined(FMT_Q3_K)
#define KQ_BYTES 110u
#define KQ_SUB 16u
#elif defined(FMT_Q4_K)
#define KQ_BYTES 144u
#define KQ_SUB 32u
#define KQ_NMAX 15
#define KQ_RMIN (-1.0)
#define KQ_NSTEP 20
#define KQ_MAD 0
#elif defined(FMT_Q5_K)
#define KQ_BYTES 176u
#define KQ_SUB 32u
#define KQ_NMAX 31
#define KQ_RMIN (-0.5)
#define KQ_NSTEP 15
#define KQ_MAD 0
#elif defined(FMT_Q6_K)
#define KQ_BYTES 210u
#define KQ_SUB 16u
#else
#error "raw_ggml_kquants.comp needs one of FMT_Q2_K, FMT_Q3_K, FMT_Q4_K, FMT_Q5_K, FMT_Q6_K"
#endif
#define KQ_WORDS ((KQ_BYTES + 3u) / 4u)
#define KQ_RDELTA 0.1
#define GROUP_MAX_EPS 1e-15

#ifdef QUANTIZE
// The super-block being quantized, its codes L (one byte each) and its bytes (little-endian words).
float g_x[256];
uint g_L[64];
uint g_blk[KQ_WORDS];

uint getL(uint i) { return (g_L[i >> 2u] >> (8u * (i & 3u))) & 255u; }
void setL(uint i, uint v) {
  uint s = 8u * (i & 3u);
  g_L[i >> 2u] = (g_L[i >> 2u] & ~(255u << s)) | ((v & 255u) << s);
}
uint blkByte(uint i) { return (g_blk[i >> 2u] >> (8u * (i & 3u))) & 255u; }
void orByte(uint i, uint v) { g_blk[i >> 2u] |= (v & 255u) << (8u * (i & 3u)); }
void orU16(uint i, uint v) {
  orByte(i, v);
  orByte(i + 1u, v >> 8u);
}

// Block b's bytes into s_out: words inside the block are stored, the (at most two) words it
// shares with its neighbours are OR-ed in.
void flushBlock(uint b) {
  uint base = b * KQ_BYTES, end = base + KQ_BYTES;
  for (uint w = base >> 2u; w < (end + 3u) >> 2u; ++w) {
    uint v = 0u;
    for (uint k = 0u; k < 4u; ++k) {
      uint g = 4u * w + k;
      if (g >= base && g < end) v |= blkByte(g - base) << (8u * k);
    }
    if (4u * w >= base && 4u * w + 4u <= end) s_out[w] = v;
    else if (v != 0u) atomicOr(s_out[w], v);
  }
}

// nearest_int of a value computed into a precise variable by the caller.
int clampedNearest(float v, int lo, int hi) { return clamp(nearestInt(v), lo, hi); }

#if defined(FMT_Q2_K) || defined(FMT_Q4_K) || defined(FMT_Q5_K)
// Helper A (make_qkx2_quants) on g_x[off .. off+KQ_SUB) with weights g_w: the scale, the amount
// subtracted (theMin >= 0) and the codes 0..KQ_NMAX into g_L.
float g_w[KQ_SUB];
int g_aux[KQ_SUB];
float helperA(uint off, out float theMin) {
  precise float mn = g_x[off];
  precise float mx = g_x[off];
  precise float sumW = g_w[0];
  precise float sumX = sumW * g_x[off];
  for (uint i = 1u; i < KQ_SUB; ++i) {
    precise float xi = g_x[off + i];
    if (xi < mn) mn = xi;
    if (xi > mx) mx = xi;
    precise float wi = g_w[i];
    sumW = sumW + wi;
    precise float wx = wi * xi;
    sumX = sumX + wx;
  }
  if (mn > 0.0) mn = 0.0;
  if (mx == mn) {
    for (uint i = 0u; i < KQ_SUB; ++i) setL(off + i, 0u);
    theMin = -mn;
    return 0.0;
  }
  precise float range = mx - mn;
  precise float iscale = crDiv(float(KQ_NMAX), range);
  precise float scale = crDiv(1.0, iscale);
  precise float bestError = 0.0;
  for (uint i = 0u; i < KQ_SUB; ++i) {
    precise float xi = g_x[off + i];
    precise float t0 = xi - mn;
    precise float t = iscale * t0;
    int l = clampedNearest(t, 0, KQ_NMAX);
    setL(off + i, uint(l));
    precise float sl = scale * float(l);
    precise float slm = sl + mn;
    precise float diff = slm - xi;
#if KQ_MAD
    diff = abs(diff);
#else
    diff = diff * diff;
#endif
    precise float wd = g_w[i] * diff;
    bestError = bestError + wd;
  }
  for (int is = 0; is <= KQ_NSTEP; ++is) {
    precise float rd = KQ_RDELTA * float(is);
    precise float r0 = KQ_RMIN + rd;
    precise float r1 = r0 + float(KQ_NMAX);
    precise float range2 = mx - mn;
    iscale = crDiv(r1, range2);
    precise float sumL = 0.0;
    precise float sumL2 = 0.0;
    precise float sumXL = 0.0;
    for (uint i = 0u; i < KQ_SUB; ++i) {
      precise float xi = g_x[off + i];
      precise float t0 = xi - mn;
      precise float t = iscale * t0;
      int l = clampedNearest(t, 0, KQ_NMAX);
      g_aux[i] = l;
      precise float fl = float(l);
      precise float wi = g_w[i];
      precise float wl = wi * fl;
      sumL = sumL + wl;
      precise float wll = wl * fl;
      sumL2 = sumL2 + wll;
      precise float wlx = wl * xi;
      sumXL = sumXL + wlx;
    }
    precise float a = sumW * sumL2;
    precise float c = sumL * sumL;
    precise float D = a - c;
    if (D > 0.0) {
      precise float s1 = sumW * sumXL;
      precise float s2 = sumX * sumL;
      precise float sn = s1 - s2;
      precise float thisScale = crDiv(sn, D);
      precise float m1 = sumL2 * sumX;
      precise float m2 = sumL * sumXL;
      precise float mnum = m1 - m2;
      precise float thisMin = crDiv(mnum, D);
      if (thisMin > 0.0) {
        thisMin = 0.0;
        thisScale = crDiv(sumXL, sumL2);
      }
      precise float curError = 0.0;
      for (uint i = 0u; i < KQ_SUB; ++i) {
        precise float sl = thisScale * float(g_aux[i]);
        precise float slm = sl + thisMin;
        precise float diff = slm - g_x[off + i];
#if KQ_MAD
        diff = abs(diff);
#else
        diff = diff * diff;
#endif
        precise float wd = g_w[i] * diff;
        curError = curError + wd;
      }
      if (curError < bestError) {
        for (uint i = 0u; i < KQ_SUB; ++i) setL(off + i, uint(g_aux[i]));
        bestError = curError;
        scale = thisScale;
        mn = thisMin;
      }
    }
  }
  theMin = -mn;
  return scale;
}
#endif

#if defined(FMT_Q3_K)
// Helper C (make_q3_quants, do_rmse) on g_x[off .. off+16): the scale, codes 0..7 into g_L
// (0 for a block below GROUP_MAX_EPS, as ggml).
float helperC(uint off) {
  precise float amax = 0.0;
  precise float mx = 0.0;
  for (uint i = 0u; i < 16u; ++i) {
    precise float ax = abs(g_x[off + i]);
    if (ax > amax) {
      amax = ax;
      mx = g_x[off + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (uint i = 0u; i < 16u; ++i) setL(off + i, 0u);
    return 0.0;
  }
  precise float iscale = crDiv(-4.0, mx);
  int L[16];
  precise float sumlx = 0.0;
  precise float suml2 = 0.0;
  for (uint i = 0u; i < 16u; ++i) {
    precise float xi = g_x[off + i];
    precise float t = iscale * xi;
    int l = clampedNearest(t, -4, 3);
    L[i] = l;
    precise float fl = float(l);
    precise float w = xi * xi;
    precise float wx = w * xi;
    precise float wxl = wx * fl;
    sumlx = sumlx + wxl;
    precise float wl = w * fl;
    precise float wll = wl * fl;
    suml2 = suml2 + wll;
  }
  for (int itry = 0; itry < 5; ++itry) {
    int changed = 0;
    for (uint i = 0u; i < 16u; ++i) {
      precise float xi = g_x[off + i];
      precise float w = xi * xi;
      precise float fl = float(L[i]);
      precise float wx = w * xi;
      precise float wxl = wx * fl;
      precise float slx = sumlx - wxl;
      if (slx > 0.0) {
        precise float wl = w * fl;
        precise float wll = wl * fl;
        precise float sl2 = suml2 - wll;
        precise float xs = xi * sl2;
        precise float t = crDiv(xs, slx);
        int nl = clampedNearest(t, -4, 3);
        if (nl != L[i]) {
          precise float fn = float(nl);
          precise float wxn = wx * fn;
          slx = slx + wxn;
          precise float wn = w * fn;
          precise float wnn = wn * fn;
          sl2 = sl2 + wnn;
          precise float p0 = slx * slx;
          precise float p1 = p0 * suml2;
          precise float q0 = sumlx * sumlx;
          precise float q1 = q0 * sl2;
          if (sl2 > 0.0 && p1 > q1) {
            L[i] = nl;
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (uint i = 0u; i < 16u; ++i) setL(off + i, uint(L[i] + 4));
  precise float r = 0.0;
  if (suml2 > 0.0) r = crDiv(sumlx, suml2);
  return r;
}
#endif

#if defined(FMT_Q6_K)
// Helper B (make_qx_quants, rmse_type 1, no weights, nmax 32) on g_x[off .. off+16): the scale,
// codes 0..63 into g_L.
void sumsB(uint off, float iscale, out float sumlx, out float suml2) {
  precise float lx = 0.0;
  precise float l2 = 0.0;
  for (uint i = 0u; i < 16u; ++i) {
    precise float xi = g_x[off + i];
    precise float t = iscale * xi;
    precise float fl = float(clampedNearest(t, -32, 31));
    precise float w = xi * xi;
    precise float wx = w * xi;
    precise float wxl = wx * fl;
    lx = lx + wxl;
    precise float wl = w * fl;
    precise float wll = wl * fl;
    l2 = l2 + wll;
  }
  sumlx = lx;
  suml2 = l2;
}
void codesB(uint off, float iscale) {
  for (uint i = 0u; i < 16u; ++i) {
    precise float t = iscale * g_x[off + i];
    setL(off + i, uint(32 + clampedNearest(t, -32, 31)));
  }
}
float helperB(uint off) {
  precise float amax = 0.0;
  precise float mx = 0.0;
  for (uint i = 0u; i < 16u; ++i) {
    precise float ax = abs(g_x[off + i]);
    if (ax > amax) {
      amax = ax;
      mx = g_x[off + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (uint i = 0u; i < 16u; ++i) setL(off + i, 0u);
    return 0.0;
  }
  precise float iscale = crDiv(-32.0, mx);
  precise float sumlx, suml2;
  sumsB(off, iscale, sumlx, suml2);
  codesB(off, iscale);
  precise float scale = 0.0;
  if (suml2 != 0.0) scale = crDiv(sumlx, suml2);
  precise float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    precise float tenth = 0.1 * float(is);
    precise float num = 32.0 + tenth;
    precise float nneg = -num;
    iscale = crDiv(nneg, mx);
    sumsB(off, iscale, sumlx, suml2);
    precise float p = sumlx * sumlx;
    precise float q = best * suml2;
    if (suml2 > 0.0 && p > q) {
      codesB(off, iscale);
      scale = crDiv(sumlx, suml2);
      best = scale * sumlx;
    }
  }
  return scale;
}
#endif

// Q2_K/Q3_K's qs: 64 bytes from `at`, byte 32n + l' holding the 2-bit codes of 128n + l' + 32k at bit 2k.
void packQs2(uint at) {
  for (uint n = 0u; n < 2u; ++n)
    for (uint l = 0u; l < 32u; ++l) {
      uint e = 128u * n + l;
      orByte(at + 32u * n + l, (getL(e) & 3u) | (getL(e + 32u) & 3u) << 2u | (getL(e + 64u) & 3u) << 4u |
                                   (getL(e + 96u) & 3u) << 6u);
    }
}

void quantizeBlock(uint b) {
  for (uint i = 0u; i < 256u; ++i) g_x[i] = s_x[256u * b + i];
  for (uint i = 0u; i < KQ_WORDS; ++i) g_blk[i] = 0u;
#if defined(FMT_Q2_K)
  precise float sc[16], mins[16];
  precise float maxScale = 0.0;
  precise float maxMin = 0.0;
  for (uint j = 0u; j < 16u; ++j) {
    for (uint l = 0u; l < 16u; ++l) g_w[l] = abs(g_x[16u * j + l]);
    precise float m;
    sc[j] = helperA(16u * j, m);
    mins[j] = m;
    if (sc[j] > maxScale) maxScale = sc[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  uint dh = 0u, dminh = 0u;
  if (maxScale > 0.0) {
    precise float iscale = crDiv(15.0, maxScale);
    for (uint j = 0u; j < 16u; ++j) {
      precise float t = iscale * sc[j];
      orByte(j, uint(nearestInt(t)));
    }
    precise float d = crDiv(maxScale, 15.0);
    dh = halfBits(d);
  }
  if (maxMin > 0.0) {
    precise float iscale = crDiv(15.0, maxMin);
    for (uint j = 0u; j < 16u; ++j) {
      precise float t = iscale * mins[j];
      orByte(j, uint(nearestInt(t)) << 4u);
    }
    precise float dm = crDiv(maxMin, 15.0);
    dminh = halfBits(dm);
  }
  orU16(80u, dh);
  orU16(82u, dminh);
  precise float d = halfValue(dh);
  precise float dmin = halfValue(dminh);
  for (uint j = 0u; j < 16u; ++j) {
    uint s = blkByte(j);
    precise float dd = d * float(s & 15u);
    if (dd == 0.0) continue;
    precise float dm = dmin * float(s >> 4u);
    for (uint i = 0u; i < 16u; ++i) {
      precise float xm = g_x[16u * j + i] + dm;
      precise float t = crDiv(xm, dd);
      setL(16u * j + i, uint(clampedNearest(t, 0, 3)));
    }
  }
  packQs2(16u);
#elif defined(FMT_Q3_K)
  precise float sc[16];
  precise float amax = 0.0;
  precise float maxScale = 0.0;
  for (uint j = 0u; j < 16u; ++j) {
    sc[j] = helperC(16u * j);
    precise float a = abs(sc[j]);
    if (a > amax) {
      amax = a;
      maxScale = sc[j];
    }
  }
  uint dh = 0u;
  if (!(maxScale == 0.0)) {
    precise float iscale = crDiv(-32.0, maxScale);
    for (uint j = 0u; j < 16u; ++j) {
      precise float t = iscale * sc[j];
      int l8 = int((uint(nearestInt(t)) & 255u) ^ 128u) - 128;  // (int8) first
      uint l = uint(clamp(l8, -32, 31) + 32);
      if (j < 8u) orByte(96u + j, l & 15u);
      else orByte(96u + j - 8u, (l & 15u) << 4u);
      orByte(96u + 8u + j % 4u, (l >> 4u) << (2u * (j / 4u)));
    }
    precise float d = crDiv(1.0, iscale);
    dh = halfBits(d);
  }
  orU16(108u, dh);
  precise float d = halfValue(dh);
  for (uint j = 0u; j < 16u; ++j) {
    uint lo = j < 8u ? blkByte(96u + j) & 15u : blkByte(96u + j - 8u) >> 4u;
    uint hi = (blkByte(96u + 8u + j % 4u) >> (2u * (j / 4u))) & 3u;
    int s = int(lo | hi << 4u) - 32;
    precise float dd = d * float(s);
    if (dd == 0.0) continue;
    for (uint i = 0u; i < 16u; ++i) {
      precise float t = crDiv(g_x[16u * j + i], dd);
      setL(16u * j + i, uint(clampedNearest(t, -4, 3) + 4));
    }
  }
  for (uint e = 0u; e < 256u; ++e) {
    uint l = getL(e);
    if (l > 3u) {
      orByte(e % 32u, 1u << (e / 32u));
      setL(e, l - 4u);
    }
  }
  packQs2(32u);
#elif defined(FMT_Q4_K) || defined(FMT_Q5_K)
  precise float sc[8], mins[8];
  precise float maxScale = 0.0;
  precise float maxMin = 0.0;
  for (uint j = 0u; j < 8u; ++j) {
    precise float sumX2 = 0.0;
    for (uint l = 0u; l < 32u; ++l) {
      precise float xx = g_x[32u * j + l] * g_x[32u * j + l];
      sumX2 = sumX2 + xx;
    }
    precise float mean = crDiv(sumX2, 32.0);
    precise float avX = crSqrt(mean);
    for (uint l = 0u; l < 32u; ++l) {
      precise float w = avX + abs(g_x[32u * j + l]);
      g_w[l] = w;
    }
    precise float m;
    sc[j] = helperA(32u * j, m);
    mins[j] = m;
    if (sc[j] > maxScale) maxScale = sc[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  precise float invScale = 0.0;
  if (maxScale > 0.0) invScale = crDiv(63.0, maxScale);
  precise float invMin = 0.0;
  if (maxMin > 0.0) invMin = crDiv(63.0, maxMin);
  for (uint j = 0u; j < 8u; ++j) {
    precise float ts = invScale * sc[j];
    precise float tm = invMin * mins[j];
    uint ls = min(63u, uint(nearestInt(ts)) & 255u);
    uint lm = min(63u, uint(nearestInt(tm)) & 255u);
    if (j < 4u) {
      orByte(4u + j, ls);
      orByte(4u + j + 4u, lm);
    } else {
      orByte(4u + j + 4u, (ls & 15u) | (lm & 15u) << 4u);
      orByte(4u + j - 4u, (ls >> 4u) << 6u);
      orByte(4u + j, (lm >> 4u) << 6u);
    }
  }
  precise float dq = crDiv(maxScale, 63.0);
  precise float mq = crDiv(maxMin, 63.0);
  uint dh = halfBits(dq), dminh = halfBits(mq);
  orU16(0u, dh);
  orU16(2u, dminh);
  precise float d = halfValue(dh);
  precise float dmin = halfValue(dminh);
  for (uint j = 0u; j < 8u; ++j) {
    uint s, m;
    if (j < 4u) {
      s = blkByte(4u + j) & 63u;
      m = blkByte(4u + j + 4u) & 63u;
    } else {
      s = (blkByte(4u + j + 4u) & 15u) | (blkByte(4u + j - 4u) >> 6u) << 4u;
      m = (blkByte(4u + j + 4u) >> 4u) | (blkByte(4u + j) >> 6u) << 4u;
    }
    precise float dd = d * float(s);
    if (dd == 0.0) continue;
    precise float dm = dmin * float(m);
    for (uint i = 0u; i < 32u; ++i) {
      precise float xm = g_x[32u * j + i] + dm;
      precise float t = crDiv(xm, dd);
      setL(32u * j + i, uint(clampedNearest(t, 0, KQ_NMAX)));
    }
  }
#if defined(FMT_Q4_K)
  for (uint c = 0u; c < 4u; ++c)
    for (uint l = 0u; l < 32u; ++l) orByte(16u + 32u * c + l, getL(64u * c + l) | getL(64u * c + 32u + l) << 4u);
#else
  for (uint c = 0u; c < 4u; ++c)
    for (uint l = 0u; l < 32u; ++l) {
      uint l1 = getL(64u * c + l), l2 = getL(64u * c + 32u + l);
      if (l1 > 15u) {
        l1 -= 16u;
        orByte(16u + l, 1u << (2u * c));
      }
      if (l2 > 15u) {
        l2 -= 16u;
        orByte(16u + l, 2u << (2u * c));
      }
      orByte(48u + 32u * c + l, l1 | l2 << 4u);
    }
#endif
#elif defined(FMT_Q6_K)
  precise float sc[16];
  precise float maxAbs = 0.0;
  precise float maxScale = 0.0;
  for (uint j = 0u; j < 16u; ++j) {
    sc[j] = helperB(16u * j);
    precise float a = abs(sc[j]);
    if (a > maxAbs) {
      maxAbs = a;
      maxScale = sc[j];
    }
  }
  if (maxAbs < GROUP_MAX_EPS) return;  // the whole block is 0 (the buffer is zeroed)
  precise float iscale = crDiv(-128.0, maxScale);
  precise float dinv = crDiv(1.0, iscale);
  uint dh = halfBits(dinv);
  orU16(208u, dh);
  for (uint j = 0u; j < 16u; ++j) {
    precise float t = iscale * sc[j];
    orByte(192u + j, uint(min(127, nearestInt(t))));
  }
  precise float d = halfValue(dh);
  for (uint j = 0u; j < 16u; ++j) {
    int s = int(blkByte(192u + j) ^ 128u) - 128;
    precise float dd = d * float(s);
    if (dd == 0.0) continue;
    for (uint i = 0u; i < 16u; ++i) {
      precise float t = crDiv(g_x[16u * j + i], dd);
      setL(16u * j + i, uint(clampedNearest(t, -32, 31) + 32));
    }
  }
  for (uint n = 0u; n < 2u; ++n)
    for (uint l = 0u; l < 32u; ++l) {
      uint e = 128u * n + l;
      uint q1 = getL(e), q2 = getL(e + 32u), q3 = getL(e + 64u), q4 = getL(e + 96u);
      orByte(64u * n + l, (q1 & 15u) | (q3 & 15u) << 4u);
      orByte(64u * n + 32u + l, (q2 & 15u) | (q4 & 15u) << 4u);
      orByte(128u + 32u * n + l, (q1 >> 4u) | (q2 >> 4u) << 2u | (q3 >> 4u) << 4u | (q4 >> 4u) << 6u);
    }
#endif
  flushBlock(b);
}
#endif  // QUANTIZE

#ifdef DEQUANTIZE
void dequantizeBlock(uint b) {
  uint at = b * KQ_BYTES, y0 = 256u * b;
#if defined(FMT_Q2_K)
  precise float d = halfValue(getU16(at + 80u));
  precise float dmin = halfValue(getU16(at + 82u));
  for (uint e = 0u; e < 256u; ++e) {
    uint n = e / 128u, j = (e / 32u) % 4u, hl = e % 32u;
    uint s = getByte(at + e / 16u);
    precise float dl = d * float(s & 15u);
    precise float ml = dmin * float(s >> 4u);
    uint q = (getByte(at + 16u + 32u * n + hl) >> (2u * j)) & 3u;
    precise float v = dl * float(q);
    precise float y = v - ml;
    s_y[y0 + e] = y;
  }
#elif defined(FMT_Q3_K)
  precise float d = halfValue(getU16(at + 108u));
  for (uint e = 0u; e < 256u; ++e) {
    uint n = e / 128u, j = (e / 32u) % 4u, hl = e % 32u, sj = e / 16u;
    uint lo = sj < 8u ? getByte(at + 96u + sj) & 15u : getByte(at + 96u + sj - 8u) >> 4u;
    uint hi = (getByte(at + 104u + sj % 4u) >> (2u * (sj / 4u))) & 3u;
    int s = int(lo | hi << 4u) - 32;
    uint low2 = (getByte(at + 32u + 32u * n + hl) >> (2u * j)) & 3u;
    bool high = ((getByte(at + hl) >> (4u * n + j)) & 1u) != 0u;
    int q = int(low2) - (high ? 0 : 4);
    precise float dl = d * float(s);
    precise float y = dl * float(q);
    s_y[y0 + e] = y;
  }
#elif defined(FMT_Q4_K) || defined(FMT_Q5_K)
  precise float d = halfValue(getU16(at));
  precise float dmin = halfValue(getU16(at + 2u));
  for (uint e = 0u; e < 256u; ++e) {
    uint j = e / 32u, c = e / 64u, l = e % 32u, hiNib = j & 1u;
    uint s, m;
    if (j < 4u) {
      s = getByte(at + 4u + j) & 63u;
      m = getByte(at + 8u + j) & 63u;
    } else {
      s = (getByte(at + 8u + j) & 15u) | (getByte(at + j) >> 6u) << 4u;
      m = (getByte(at + 8u + j) >> 4u) | (getByte(at + 4u + j) >> 6u) << 4u;
    }
#if defined(FMT_Q4_K)
    uint q = (getByte(at + 16u + 32u * c + l) >> (4u * hiNib)) & 15u;
#else
    uint q = (getByte(at + 48u + 32u * c + l) >> (4u * hiNib)) & 15u;
    q += ((getByte(at + 16u + l) >> j) & 1u) << 4u;
#endif
    precise float d1 = d * float(s);
    precise float m1 = dmin * float(m);
    precise float v = d1 * float(q);
    precise float y = v - m1;
    s_y[y0 + e] = y;
  }
#elif defined(FMT_Q6_K)
  precise float d = halfValue(getU16(at + 208u));
  for (uint e = 0u; e < 256u; ++e) {
    uint n = e / 128u, k = (e / 32u) % 4u, l = e % 32u;
    uint low = (getByte(at + 64u * n + l + 32u * (k % 2u)) >> (k < 2u ? 0u : 4u)) & 15u;
    uint high = (getByte(at + 128u + 32u * n + l) >> (2u * k)) & 3u;
    int q = int(low | high << 4u) - 32;
    int s = int(getByte(at + 192u + e / 16u) ^ 128u) - 128;
    precise float ds = d * float(s);
    precise float y = ds * float(q);
    s_y[y0 + e] = y;
  }
#endif
}
#endif  // DEQUANTIZE

void main() {
  FOR_EACH_BLOCK(b) {
#ifdef QUANTIZE
    quantizeBlock(b);
#else
    dequantizeBlock(b);
#endif
  }
}
