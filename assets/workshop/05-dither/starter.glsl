// Exercise 05: ordered dithering with a 4x4 Bayer matrix (see README.md in this folder).
// x is a sample in [0, 1]; return the quantized sample, also in [0, 1]. `bits` is the bit depth.
// Available: qv_pixel (uvec2: x right, y down).

// The 4x4 Bayer matrix, row by row: BAYER4[row * 4 + column].
const int BAYER4[16] = int[16](0, 8, 2, 10,
                               12, 4, 14, 6,
                               3, 11, 1, 9,
                               15, 7, 13, 5);

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  // TODO: the threshold t depends on the pixel: the Bayer entry of (x mod 4, y mod 4), scaled to
  // (0, 1) as in the README. With t = 0.5 everywhere this is plain round-to-nearest.
  float t = 0.5;
  return min(floor(x * steps + t), steps) / steps;
}
