// SSIM helpers shared by both passes: the 11-tap Gaussian in core::ssim's exact summation order
// (centre tap first, then the pairs k = 1..5, each w[5-k] * (up + down)), on windows held in
// registers. `precise` everywhere so the compiler neither fuses nor reorders.
uniform float u_taps[11];  // core::ssimGaussianTaps

float gauss11(float r[11]) {
  precise float m = u_taps[5] * r[5];
  m += u_taps[4] * (r[4] + r[6]);
  m += u_taps[3] * (r[3] + r[7]);
  m += u_taps[2] * (r[2] + r[8]);
  m += u_taps[1] * (r[1] + r[9]);
  m += u_taps[0] * (r[0] + r[10]);
  return m;
}

// Products are rounded on their own before the sums, as the CPU stores x*x rows before filtering.
float gauss11Product(float a[11], float b[11]) {
  // Written out (no loop) so every index is a constant and the windows stay in registers.
  precise float p0 = a[0] * b[0], p1 = a[1] * b[1], p2 = a[2] * b[2], p3 = a[3] * b[3];
  precise float p4 = a[4] * b[4], p5 = a[5] * b[5], p6 = a[6] * b[6], p7 = a[7] * b[7];
  precise float p8 = a[8] * b[8], p9 = a[9] * b[9], p10 = a[10] * b[10];
  float p[11] = float[11](p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10);
  return gauss11(p);
}

// Moves a window one step: r[i] = r[i + 1]; the caller fills r[10].
#define SHIFT11(r) \
  r[0] = r[1]; r[1] = r[2]; r[2] = r[3]; r[3] = r[4]; r[4] = r[5]; r[5] = r[6]; \
  r[6] = r[7]; r[7] = r[8]; r[8] = r[9]; r[9] = r[10]
