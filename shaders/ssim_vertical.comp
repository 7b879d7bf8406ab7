#version 430 core
// SSIM, pass 1 of 2: the vertical 11-tap Gaussian of x, y, x^2, y^2 and xy for one colour channel,
// over the rows whose window fits (y in [5, height-5)) and every column. Mirrors the vertical pass
// of core::ssim (centred samples v - vmax/2, taps core::ssimGaussianTaps, the same summation order).
// Each invocation walks one column down a band of SSIM_BAND rows with the 11-row window in
// registers, so every sample is loaded about once instead of 11 times.
layout(local_size_x = 64) in;

#include "common/packed.glsl"
#include "common/ssim.glsl"

#define SSIM_BAND 32u

layout(std430, binding = 0) readonly restrict buffer AWords { uint s_a[]; };
layout(std430, binding = 1) readonly restrict buffer BWords { uint s_b[]; };
// Per pixel of the band: (x, y, x^2, y^2) as one vec4, then a plane of xy (fewer, wider stores).
layout(std430, binding = 2) writeonly restrict buffer Vertical4 { vec4 s_vert4[]; };
layout(std430, binding = 4) writeonly restrict buffer Vertical1 { float s_vertXy[]; };

uniform uint u_width;
uniform uint u_rows;      // height - 10
uniform uint u_channels;
uniform uint u_channel;
uniform float u_centre;   // vmax / 2

void main() {
  uint bands = (u_rows + SSIM_BAND - 1u) / SSIM_BAND;
  uint items = u_width * bands;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  uint rowStep = u_width * u_channels;
  for (uint item = gl_GlobalInvocationID.x; item < items; item += stride) {
    uint band = item / u_width;
    uint x = item - band * u_width;
    uint r0 = band * SSIM_BAND;
    uint r1 = min(r0 + SSIM_BAND, u_rows);
    // Output row r is image row r + 5; its window is image rows r .. r + 10.
    float wa[11], wb[11];
    uint index = (r0 * u_width + x) * u_channels + u_channel;
    // Ten warm-up steps fill the window; the rest each emit one row. (One loop with constant
    // window indices keeps the windows in registers.)
    for (uint step = 0u; step < r1 - r0 + 10u; ++step) {
      SHIFT11(wa);
      SHIFT11(wb);
      precise float va = float(PACKED_SAMPLE(s_a, index)) - u_centre;
      precise float vb = float(PACKED_SAMPLE(s_b, index)) - u_centre;
      wa[10] = va;
      wb[10] = vb;
      index += rowStep;
      if (step >= 10u) {
        uint o = (r0 + step - 10u) * u_width + x;
        s_vert4[o] = vec4(gauss11(wa), gauss11(wb), gauss11Product(wa, wa), gauss11Product(wb, wb));
        s_vertXy[o] = gauss11Product(wa, wb);
      }
    }
  }
}
