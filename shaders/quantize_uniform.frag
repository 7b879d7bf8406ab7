#version 330 core
// Uniform image quantizer, fragment path (GL 3.3+, e.g. macOS GL 4.1 without compute). Must equal
// core::quantizeUniform, like quantize_uniform.comp. Reads an integer texture, writes an integer
// colour attachment (RGBA8UI / RGBA16UI); one fragment per pixel, alpha passes through.
#extension GL_ARB_gpu_shader5 : enable

#include "common/quant.glsl"

uniform usampler2D u_src;
uniform uint u_colorChannels;  // colour channels of the output
uniform uint u_gray;           // 1: output = quantized integer luma of an RGB(A) input (alpha in .g)
uniform uint u_rounding;
uniform uint u_dither;
uniform uint u_seed;
uniform uint u_vmax;
uniform uint u_seedShift;
uniform vec4 u_scale;
uniform vec4 u_inv;
uniform uvec4 u_levels;

out uvec4 o_sample;

void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);  // pixel centres: (x + 0.5, y + 0.5) -> (x, y)
  uvec4 s = texelFetch(u_src, p, 0);
  if (u_gray != 0u) s = uvec4(integerLuma(s.r, s.g, s.b), s.a, 0u, 0u);
  uint x = uint(p.x), y = uint(p.y);
  for (uint c = 0u; c < u_colorChannels; ++c) {
    uint code = quantizeCode(s[c], u_scale[c], u_levels[c], u_seedShift, u_rounding, u_dither, x, y, c, u_seed);
    s[c] = dequantizeCode(code, u_inv[c], u_vmax, u_levels[c], u_rounding);
  }
  o_sample = s;
}
