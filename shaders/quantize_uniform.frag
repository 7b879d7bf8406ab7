#version 330 core
// Uniform image quantizer, fragment path (GL 3.3+, e.g. macOS GL 4.1 without compute). Must equal
// core::quantizeUniform, like quantize_uniform.comp. Reads an integer texture, writes an integer
// colour attachment (RGBA8UI / RGBA16UI); one fragment per pixel, alpha passes through. The driver
// specialises it per mode and layout (the same defines as the compute shader).
#extension GL_ARB_gpu_shader5 : enable

#include "common/quant.glsl"

#ifndef ROUNDING_N
#define ROUNDING_N 0  // core::Rounding
#endif
#ifndef DITHER_N
#define DITHER_N 0  // 1: ordered
#endif
#ifndef GRAY
#define GRAY 0  // 1: output = quantized integer luma of an RGB(A) input (alpha in .g)
#endif
#ifndef COLOR_CHANNELS_N
#define COLOR_CHANNELS_N 3  // of the output
#endif
#ifndef SAME_CHANNELS
#define SAME_CHANNELS 0
#endif

uniform usampler2D u_src;
uniform uint u_seed;
uniform uint u_vmax;
uniform uint u_seedShift;
uniform vec4 u_scale;
uniform vec4 u_inv;
uniform uvec4 u_levels;

out uvec4 o_sample;

// Channel c is a literal at every call, so the component selection folds.
uint quantizeChannel(uint v, uint c, uint x, uint y) {
#if SAME_CHANNELS
  float scale = u_scale.x, inv = u_inv.x;
  uint levels = u_levels.x;
#else
  float scale = u_scale[c], inv = u_inv[c];
  uint levels = u_levels[c];
#endif
  uint code = quantizeCode(v, scale, levels, u_seedShift, uint(ROUNDING_N), uint(DITHER_N), x, y, c, u_seed);
  return dequantizeCode(code, inv, u_vmax, levels, uint(ROUNDING_N));
}

void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);  // pixel centres: (x + 0.5, y + 0.5) -> (x, y)
  uvec4 s = texelFetch(u_src, p, 0);
#if GRAY
  s = uvec4(integerLuma(s.r, s.g, s.b), s.a, 0u, 0u);
#endif
  uint x = uint(p.x), y = uint(p.y);
  s.r = quantizeChannel(s.r, 0u, x, y);
#if COLOR_CHANNELS_N > 1
  s.g = quantizeChannel(s.g, 1u, x, y);
  s.b = quantizeChannel(s.b, 2u, x, y);
#endif
  o_sample = s;
}
