#version 430 core
// Display conversion, compute path: a packed 8/16-bit image (any channel layout) into the RGBA8
// texture the explorer draws. 16-bit samples show their high byte; gray replicates into R, G, B;
// alpha is kept. Must equal qviz::gpu::displayReference. One invocation per pixel, grid-stride.
layout(local_size_x = 256) in;

#include "common/packed.glsl"

layout(std430, binding = 0) readonly restrict buffer ImageWords { uint s_image[]; };
layout(rgba8, binding = 0) writeonly restrict uniform image2D u_out;

uniform uint u_width;
uniform uint u_pixelCount;
uniform uint u_channels;
uniform uint u_colorChannels;
uniform uint u_shift;

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint p = gl_GlobalInvocationID.x; p < u_pixelCount; p += stride) {
    uint base = p * u_channels;
    uvec4 m;
    for (uint c = 0u; c < 3u; ++c) m[c] = PACKED_SAMPLE(s_image, base + min(c, u_colorChannels - 1u)) >> u_shift;
    m.a = u_channels == u_colorChannels ? 255u : (PACKED_SAMPLE(s_image, base + u_colorChannels) >> u_shift);
    uint y = p / u_width;
    imageStore(u_out, ivec2(int(p - y * u_width), int(y)), vec4(m) / 255.0);
  }
}
