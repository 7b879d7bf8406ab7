#version 430 core
// Benchmark baseline only (`qviz bench`: uniform_gpu_naive_4k): the straightforward way to write
// the uniform quantizer, one RGBA8 pixel per invocation through rgba8ui image load/store, nearest
// rounding. quantize_uniform.comp must not be slower than this. Not used by the explorer or CLI.
layout(local_size_x = 16, local_size_y = 16) in;

#include "common/quant.glsl"

layout(rgba8ui, binding = 0) readonly uniform uimage2D u_src;
layout(rgba8ui, binding = 1) writeonly uniform uimage2D u_dst;

uniform float u_scale;
uniform float u_inv;
uniform uint u_levels;

void main() {
  ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  if (any(greaterThanEqual(p, imageSize(u_src)))) return;
  uvec4 v = imageLoad(u_src, p);
  for (int c = 0; c < 3; ++c)
    v[c] = dequantizeCode(quantizeCode(v[c], u_scale, u_levels, 8u, ROUND_NEAREST, DITHER_NONE, 0u, 0u, 0u, 0u),
                          u_inv, 255u, u_levels, ROUND_NEAREST);
  imageStore(u_dst, p, v);
}
