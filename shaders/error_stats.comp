#version 430 core
// Exact error statistics of two integer images over colour samples: the sum of squared errors
// (core::sumSquaredError) and the largest absolute error (core::maxAbsError). Squared errors are
// accumulated as 64-bit values in two uint32 (uaddCarry); each work group writes its partial sum
// and the CPU adds the partials in uint64, so the result is exact for 8- and 16-bit images.
layout(local_size_x = 256) in;

#include "common/packed.glsl"

layout(std430, binding = 0) readonly restrict buffer RefWords { uint s_ref[]; };
layout(std430, binding = 1) readonly restrict buffer QuantWords { uint s_quant[]; };
// [0]: max |error| (atomicMax); [2 + 2 g], [3 + 2 g]: low and high words of group g's sum.
layout(std430, binding = 2) restrict buffer Stats { uint s_stats[]; };

uniform uint u_pixelCount;
uniform uint u_channels;
uniform uint u_colorChannels;

shared uint l_lo[256];
shared uint l_hi[256];
shared uint l_max[256];

void add64(inout uint lo, inout uint hi, uint addLo, uint addHi) {
  uint carry;
  lo = uaddCarry(lo, addLo, carry);
  hi += addHi + carry;
}

void main() {
  uint t = gl_LocalInvocationID.x;
  uint lo = 0u, hi = 0u, mx = 0u;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint p = gl_GlobalInvocationID.x; p < u_pixelCount; p += stride) {
    uint base = p * u_channels;
    for (uint c = 0u; c < u_colorChannels; ++c) {
      uint a = PACKED_SAMPLE(s_ref, base + c), b = PACKED_SAMPLE(s_quant, base + c);
      uint d = a > b ? a - b : b - a;
      mx = max(mx, d);
      uint sqHi, sqLo;
      umulExtended(d, d, sqHi, sqLo);  // 16-bit errors square to up to 32 bits
      add64(lo, hi, sqLo, sqHi);
    }
  }
  l_lo[t] = lo;
  l_hi[t] = hi;
  l_max[t] = mx;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (t < s) {
      uint a = l_lo[t], b = l_hi[t];
      add64(a, b, l_lo[t + s], l_hi[t + s]);
      l_lo[t] = a;
      l_hi[t] = b;
      l_max[t] = max(l_max[t], l_max[t + s]);
    }
    barrier();
  }
  if (t == 0u) {
    s_stats[2u + 2u * gl_WorkGroupID.x] = l_lo[0];
    s_stats[3u + 2u * gl_WorkGroupID.x] = l_hi[0];
    atomicMax(s_stats[0], l_max[0]);
  }
}
