#version 430 core
// Uniform image quantizer, compute path (GL 4.3+). Must equal core::quantizeUniform (per-sample
// core::quantizeCode + core::dequantizeCode; core::toGray first with u_gray). One invocation makes
// one packed output word (4 8-bit or 2 16-bit samples) in a grid-stride loop. Alpha passes through.
layout(local_size_x = 256) in;

#include "common/packed.glsl"
#include "common/quant.glsl"

layout(std430, binding = 0) readonly restrict buffer SrcWords { uint s_src[]; };
layout(std430, binding = 1) writeonly restrict buffer DstWords { uint s_dst[]; };

uniform uint u_width;          // pixels per row
uniform uint u_srcChannels;    // channels of the input (3 or 4 when u_gray != 0)
uniform uint u_dstChannels;    // channels of the output
uniform uint u_colorChannels;  // colour channels of the output (alpha is the one after them)
uniform uint u_sampleCount;    // output samples
uniform uint u_wordCount;      // output words
uniform uint u_gray;           // 1: output = quantized integer luma of an RGB(A) input
uniform uint u_rounding;       // ROUND_*
uniform uint u_dither;         // DITHER_*
uniform uint u_seed;
uniform uint u_vmax;
uniform uint u_seedShift;
uniform vec4 u_scale;          // per colour channel: core::UniformConstants::scale
uniform vec4 u_inv;            // per colour channel: core::UniformConstants::inv
uniform uvec4 u_levels;        // per colour channel: L = 2^bits

// Input sample for output channel c of `pixel` in gray mode (luma, or the source alpha).
uint graySource(uint pixel, uint c) {
  uint base = pixel * u_srcChannels;
  if (c == 0u)
    return integerLuma(PACKED_SAMPLE(s_src, base), PACKED_SAMPLE(s_src, base + 1u), PACKED_SAMPLE(s_src, base + 2u));
  return PACKED_SAMPLE(s_src, base + 3u);
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint w = gl_GlobalInvocationID.x; w < u_wordCount; w += stride) {
    uint i = w * SAMPLES_PER_WORD;
    // Two divisions per word; the loop below steps channel, x and y incrementally.
    uint pixel = i / u_dstChannels;
    uint c = i - pixel * u_dstChannels;
    uint y = pixel / u_width;
    uint x = pixel - y * u_width;
    uint inWord = u_gray == 0u ? s_src[w] : 0u;
    uint outWord = 0u;
    for (uint k = 0u; k < SAMPLES_PER_WORD; ++k) {
      if (i + k >= u_sampleCount) break;
      uint v = u_gray == 0u ? (inWord >> (k * uint(SAMPLE_BITS))) & SAMPLE_MASK : graySource(pixel, c);
      if (c < u_colorChannels) {
        uint code = quantizeCode(v, u_scale[c], u_levels[c], u_seedShift, u_rounding, u_dither, x, y, c, u_seed);
        v = dequantizeCode(code, u_inv[c], u_vmax, u_levels[c], u_rounding);
      }
      outWord |= v << (k * uint(SAMPLE_BITS));
      if (++c == u_dstChannels) {
        c = 0u;
        ++pixel;
        if (++x == u_width) {
          x = 0u;
          ++y;
        }
      }
    }
    s_dst[w] = outWord;
  }
}
