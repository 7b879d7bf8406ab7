#version 430 core
// Uniform image quantizer, compute path (GL 4.3+). Must equal core::quantizeUniform (per sample
// core::quantizeCode + core::dequantizeCode of core::quantizerReference(src): the integer luma
// first with GRAY). Alpha passes through. One invocation makes one uvec4 of output (16 8-bit or
// 8 16-bit samples) in a grid-stride loop; the driver specialises the program per sample depth,
// layout and mode, so every branch on them folds at compile time (a generic version with uniform
// mode switches ran 50x slower on llvmpipe). Baseline: quantize_uniform_naive.comp, see
// `qviz bench --filter uniform_gpu`.
layout(local_size_x = 256) in;

#include "common/packed.glsl"
#include "common/quant.glsl"

// The driver specialises every program with these (all plain integers, so #if can test them).
#ifndef ROUNDING_N
#define ROUNDING_N 0  // core::Rounding
#endif
#ifndef DITHER_N
#define DITHER_N 0  // 1: ordered
#endif
#ifndef GRAY
#define GRAY 0
#endif
#ifndef SRC_CHANNELS_N
#define SRC_CHANNELS_N 4
#endif
#ifndef DST_CHANNELS_N
#define DST_CHANNELS_N 4
#endif
#ifndef COLOR_CHANNELS_N
#define COLOR_CHANNELS_N 3
#endif
#ifndef SAME_CHANNELS
#define SAME_CHANNELS 0  // 1: all colour channels share one depth (u_scale.x, u_inv.x, u_levels.x)
#endif
#define ROUNDING uint(ROUNDING_N)
#define DITHER uint(DITHER_N)
#define SRC_CHANNELS uint(SRC_CHANNELS_N)
#define DST_CHANNELS uint(DST_CHANNELS_N)
#define COLOR_CHANNELS uint(COLOR_CHANNELS_N)
#define NEEDS_XY (ROUNDING_N == 2 || DITHER_N == 1)  // stochastic rounding, ordered dither

// The same input seen as words (gray: scattered reads) and as vectors (straight copy layouts).
layout(std430, binding = 0) readonly restrict buffer SrcWords { uint s_src[]; };
layout(std430, binding = 0) readonly restrict buffer SrcVecs { uvec4 s_srcVec[]; };
layout(std430, binding = 1) writeonly restrict buffer DstVecs { uvec4 s_dstVec[]; };

uniform uint u_width;
uniform uint u_pixelCount;
uniform uint u_vecCount;    // output uvec4s (the buffers hold whole ones)
uniform uint u_seed;
uniform uint u_vmax;
uniform uint u_seedShift;
uniform vec4 u_scale;
uniform vec4 u_inv;
uniform uvec4 u_levels;

uint quantizeSample(uint v, uint c, uint x, uint y) {
#if SAME_CHANNELS
  // Every colour channel has the same depth (the usual case): no per-channel selection at all,
  // which llvmpipe runs ~1.4x faster.
  float scale = u_scale.x;
  float inv = u_inv.x;
  uint levels = u_levels.x;
#else
  float scale = c == 0u ? u_scale.x : c == 1u ? u_scale.y : u_scale.z;
  float inv = c == 0u ? u_inv.x : c == 1u ? u_inv.y : u_inv.z;
  uint levels = c == 0u ? u_levels.x : c == 1u ? u_levels.y : u_levels.z;
#endif
  uint code = quantizeCode(v, scale, levels, u_seedShift, ROUNDING, DITHER, x, y, c, u_seed);
  return dequantizeCode(code, inv, u_vmax, levels, ROUNDING);
}

// Output sample k (0 .. SAMPLES_PER_WORD-1) of word w, shifted into place. Called with literal k
// so channel selection folds at compile time (a loop here is not unrolled by every compiler).
uint outputSample(uint inWord, uint k, uint pixel0, uint c0, uint x0, uint y0) {
#if SAMPLES_PER_WORD_N % DST_CHANNELS_N == 0
  uint c = k % DST_CHANNELS;
  uint dp = k / DST_CHANNELS;
#else
  uint t = c0 + k;
  uint c = t % DST_CHANNELS;
  uint dp = t / DST_CHANNELS;
#endif
#if GRAY
  uint base = min(pixel0 + dp, u_pixelCount - 1u) * SRC_CHANNELS;  // the padding repeats the last pixel
  uint v = c == 0u ? integerLuma(PACKED_SAMPLE(s_src, base), PACKED_SAMPLE(s_src, base + 1u), PACKED_SAMPLE(s_src, base + 2u))
                   : PACKED_SAMPLE(s_src, base + 3u);
#else
  uint v = (inWord >> (k * uint(SAMPLE_BITS))) & SAMPLE_MASK;
#endif
  if (c < COLOR_CHANNELS) {
    uint x = x0 + dp, y = y0;
#if NEEDS_XY
    while (x >= u_width) {  // at most a few steps: dp < 4
      x -= u_width;
      ++y;
    }
#endif
    v = quantizeSample(v, c, x, y);
  }
  return v << (k * uint(SAMPLE_BITS));
}

// Output word w, from input word inWord (unused with GRAY).
uint processWord(uint w, uint inWord) {
  uint i0 = w * SAMPLES_PER_WORD;
  uint pixel0 = i0 / DST_CHANNELS;
  uint c0 = i0 - pixel0 * DST_CHANNELS;
  uint x0 = 0u, y0 = 0u;
#if NEEDS_XY
  y0 = pixel0 / u_width;
  x0 = pixel0 - y0 * u_width;
#endif
  uint outWord = outputSample(inWord, 0u, pixel0, c0, x0, y0) | outputSample(inWord, 1u, pixel0, c0, x0, y0);
#if SAMPLES_PER_WORD_N == 4
  outWord |= outputSample(inWord, 2u, pixel0, c0, x0, y0) | outputSample(inWord, 3u, pixel0, c0, x0, y0);
#endif
  return outWord;
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint v = gl_GlobalInvocationID.x; v < u_vecCount; v += stride) {
#if GRAY
    uvec4 inVec = uvec4(0u);
#else
    uvec4 inVec = s_srcVec[v];
#endif
    uint w = v * 4u;
    s_dstVec[v] = uvec4(processWord(w, inVec.x), processWord(w + 1u, inVec.y), processWord(w + 2u, inVec.z),
                        processWord(w + 3u, inVec.w));
  }
}
