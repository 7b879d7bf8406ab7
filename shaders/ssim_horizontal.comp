#version 430 core
// SSIM, pass 2 of 2: the horizontal 11-tap Gaussian of pass 1's five planes and the SSIM formula
// on the cropped map (x in [5, width-5)), summed per work group in double. Mirrors core::ssim;
// the CPU adds the partial sums and divides, so the mean agrees with the CPU to ~1e-7 or better.
layout(local_size_x = 256) in;

layout(std430, binding = 2) readonly restrict buffer Vertical { float s_vert[]; };
layout(std430, binding = 3) writeonly restrict buffer Partials { double s_partial[]; };

uniform uint u_width;
uniform uint u_rows;
uniform float u_centre;
uniform float u_c1;
uniform float u_c2;
uniform float u_taps[11];

shared double l_sum[256];

void main() {
  uint plane = u_width * u_rows;
  uint cols = u_width - 10u;
  uint n = cols * u_rows;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  double sum = 0.0;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
    uint r = i / cols;
    uint x = i - r * cols + 5u;
    uint c = r * u_width + x;
    precise float mx = u_taps[5] * s_vert[c];
    precise float my = u_taps[5] * s_vert[plane + c];
    precise float mxx = u_taps[5] * s_vert[2u * plane + c];
    precise float myy = u_taps[5] * s_vert[3u * plane + c];
    precise float mxy = u_taps[5] * s_vert[4u * plane + c];
    for (uint k = 1u; k <= 5u; ++k) {
      float wk = u_taps[5u - k];
      uint l = c - k, h = c + k;
      mx += wk * (s_vert[l] + s_vert[h]);
      my += wk * (s_vert[plane + l] + s_vert[plane + h]);
      mxx += wk * (s_vert[2u * plane + l] + s_vert[2u * plane + h]);
      myy += wk * (s_vert[3u * plane + l] + s_vert[3u * plane + h]);
      mxy += wk * (s_vert[4u * plane + l] + s_vert[4u * plane + h]);
    }
    precise float sx = mxx - mx * mx;
    precise float sy = myy - my * my;
    precise float sxy = mxy - mx * my;
    precise float ux = mx + u_centre;
    precise float uy = my + u_centre;
    precise float num = (2.0 * ux * uy + u_c1) * (2.0 * sxy + u_c2);
    precise float den = (ux * ux + uy * uy + u_c1) * (sx + sy + u_c2);
    sum += double(num / den);
  }
  uint t = gl_LocalInvocationID.x;
  l_sum[t] = sum;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (t < s) l_sum[t] += l_sum[t + s];
    barrier();
  }
  if (t == 0u) s_partial[gl_WorkGroupID.x] = l_sum[0];
}
