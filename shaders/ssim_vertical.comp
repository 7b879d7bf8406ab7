#version 430 core
// SSIM, pass 1 of 2: the vertical 11-tap Gaussian of x, y, x^2, y^2 and xy for one colour channel,
// over the rows whose window fits (y in [5, height-5)) and every column. Mirrors the vertical pass
// of core::ssim (centred samples v - vmax/2, taps core::ssimGaussianTaps, the same summation order,
// `precise` so no fma changes a rounding).
layout(local_size_x = 256) in;

#include "common/packed.glsl"

layout(std430, binding = 0) readonly restrict buffer AWords { uint s_a[]; };
layout(std430, binding = 1) readonly restrict buffer BWords { uint s_b[]; };
layout(std430, binding = 2) writeonly restrict buffer Vertical { float s_vert[]; };  // 5 planes of width * rows

uniform uint u_width;
uniform uint u_rows;      // height - 10
uniform uint u_channels;
uniform uint u_channel;
uniform float u_centre;   // vmax / 2
uniform float u_taps[11];

void main() {
  uint plane = u_width * u_rows;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < plane; i += stride) {
    uint r = i / u_width;
    uint x = i - r * u_width;
    uint centreIndex = ((r + 5u) * u_width + x) * u_channels + u_channel;
    uint rowStep = u_width * u_channels;
    precise float va = float(PACKED_SAMPLE(s_a, centreIndex)) - u_centre;
    precise float vb = float(PACKED_SAMPLE(s_b, centreIndex)) - u_centre;
    precise float mx = u_taps[5] * va;
    precise float my = u_taps[5] * vb;
    precise float mxx = u_taps[5] * (va * va);
    precise float myy = u_taps[5] * (vb * vb);
    precise float mxy = u_taps[5] * (va * vb);
    for (uint k = 1u; k <= 5u; ++k) {
      uint up = centreIndex - k * rowStep, dn = centreIndex + k * rowStep;
      precise float ua = float(PACKED_SAMPLE(s_a, up)) - u_centre;
      precise float ub = float(PACKED_SAMPLE(s_b, up)) - u_centre;
      precise float da = float(PACKED_SAMPLE(s_a, dn)) - u_centre;
      precise float db = float(PACKED_SAMPLE(s_b, dn)) - u_centre;
      float wk = u_taps[5u - k];
      mx += wk * (ua + da);
      my += wk * (ub + db);
      mxx += wk * (ua * ua + da * da);
      myy += wk * (ub * ub + db * db);
      mxy += wk * (ua * ub + da * db);
    }
    s_vert[i] = mx;
    s_vert[plane + i] = my;
    s_vert[2u * plane + i] = mxx;
    s_vert[3u * plane + i] = myy;
    s_vert[4u * plane + i] = mxy;
  }
}
