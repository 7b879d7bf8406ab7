#version 430 core
// Error map, compute path. Must equal qviz::gpu::errorMapReference: one RGBA8 texel per pixel
// (gray images replicate into R, G, B; alpha is opaque). One invocation per pixel, grid-stride.
layout(local_size_x = 256) in;

#include "common/packed.glsl"
#include "common/error_map.glsl"

layout(std430, binding = 0) readonly restrict buffer RefWords { uint s_ref[]; };
layout(std430, binding = 1) readonly restrict buffer QuantWords { uint s_quant[]; };
layout(rgba8, binding = 0) writeonly restrict uniform image2D u_out;

uniform uint u_width;
uniform uint u_pixelCount;
uniform uint u_channels;
uniform uint u_colorChannels;
uniform uint u_mode;
uniform uint u_gain;
uniform uint u_shift;

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint p = gl_GlobalInvocationID.x; p < u_pixelCount; p += stride) {
    uint base = p * u_channels;
    uvec3 m;
    for (uint c = 0u; c < 3u; ++c) {
      uint cc = min(c, u_colorChannels - 1u);
      m[c] = errorMapValue(PACKED_SAMPLE(s_ref, base + cc), PACKED_SAMPLE(s_quant, base + cc), u_mode, u_gain, u_shift);
    }
    uint y = p / u_width;
    // n / 255 stored to UNORM8 rounds back to n exactly.
    imageStore(u_out, ivec2(int(p - y * u_width), int(y)), vec4(vec3(m) / 255.0, 1.0));
  }
}
