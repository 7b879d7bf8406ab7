#version 430 core
// 256-bin histograms, one per colour channel (16-bit samples binned by their high byte). Must equal
// core::histograms. Each work group counts into shared memory, then adds its bins to the global
// counters with atomics (uint32: the driver refuses images of 2^32 pixels or more).
layout(local_size_x = 256) in;

#include "common/packed.glsl"

layout(std430, binding = 0) readonly restrict buffer SrcWords { uint s_src[]; };
layout(std430, binding = 1) restrict buffer Bins { uint s_bins[]; };  // [channel * 256 + bin]

uniform uint u_pixelCount;
uniform uint u_channels;
uniform uint u_colorChannels;

shared uint l_bins[3 * 256];

void main() {
  uint t = gl_LocalInvocationID.x;
  for (uint c = 0u; c < 3u; ++c) l_bins[c * 256u + t] = 0u;
  barrier();
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint p = gl_GlobalInvocationID.x; p < u_pixelCount; p += stride) {
    uint base = p * u_channels;
    for (uint c = 0u; c < u_colorChannels; ++c)
      atomicAdd(l_bins[c * 256u + (PACKED_SAMPLE(s_src, base + c) >> (uint(SAMPLE_BITS) - 8u))], 1u);
  }
  barrier();
  for (uint c = 0u; c < u_colorChannels; ++c) {
    uint n = l_bins[c * 256u + t];
    if (n != 0u) atomicAdd(s_bins[c * 256u + t], n);
  }
}
