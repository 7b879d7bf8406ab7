#version 430 core
// SSIM, pass 2 of 2: the horizontal 11-tap Gaussian of pass 1's five planes and the SSIM formula
// on the cropped map (x in [5, width-5)), summed per work group in double. Mirrors core::ssim;
// the CPU adds the partial sums and divides. Each invocation walks one row segment of SSIM_RUN
// columns with the 11-column windows in registers.
layout(local_size_x = 64) in;

#include "common/ssim.glsl"

#define SSIM_RUN 32u

layout(std430, binding = 2) readonly restrict buffer Vertical4 { vec4 s_vert4[]; };  // x, y, x^2, y^2
layout(std430, binding = 4) readonly restrict buffer Vertical1 { float s_vertXy[]; };
layout(std430, binding = 3) writeonly restrict buffer Partials { double s_partial[]; };

uniform uint u_width;
uniform uint u_rows;
uniform float u_centre;
uniform float u_c1;
uniform float u_c2;

shared double l_sum[64];

void main() {
  uint cols = u_width - 10u;
  uint runs = (cols + SSIM_RUN - 1u) / SSIM_RUN;
  uint items = u_rows * runs;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  double sum = 0.0;
  for (uint item = gl_GlobalInvocationID.x; item < items; item += stride) {
    uint run = item / u_rows;
    uint r = item - run * u_rows;
    uint c0 = run * SSIM_RUN;           // first output column - 5 (the window's left edge)
    uint c1 = min(c0 + SSIM_RUN, cols);
    float wx[11], wy[11], wxx[11], wyy[11], wxy[11];
    uint index = r * u_width + c0;
    for (uint step = 0u; step < c1 - c0 + 10u; ++step) {
      SHIFT11(wx);
      SHIFT11(wy);
      SHIFT11(wxx);
      SHIFT11(wyy);
      SHIFT11(wxy);
      vec4 v4 = s_vert4[index];
      wx[10] = v4.x;
      wy[10] = v4.y;
      wxx[10] = v4.z;
      wyy[10] = v4.w;
      wxy[10] = s_vertXy[index];
      ++index;
      if (step < 10u) continue;
      precise float mx = gauss11(wx);
      precise float my = gauss11(wy);
      precise float mxx = gauss11(wxx);
      precise float myy = gauss11(wyy);
      precise float mxy = gauss11(wxy);
      precise float sx = mxx - mx * mx;
      precise float sy = myy - my * my;
      precise float sxy = mxy - mx * my;
      precise float ux = mx + u_centre;
      precise float uy = my + u_centre;
      precise float num = (2.0 * ux * uy + u_c1) * (2.0 * sxy + u_c2);
      precise float den = (ux * ux + uy * uy + u_c1) * (sx + sy + u_c2);
      sum += double(num / den);
    }
  }
  uint t = gl_LocalInvocationID.x;
  l_sum[t] = sum;
  barrier();
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (t < s) l_sum[t] += l_sum[t + s];
    barrier();
  }
  if (t == 0u) s_partial[gl_WorkGroupID.x] = l_sum[0];
}
