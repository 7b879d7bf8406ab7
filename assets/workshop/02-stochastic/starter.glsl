// Exercise 02: stochastic rounding from a hash (see README.md in this folder).
// x is a sample in [0, 1]; return the quantized sample, also in [0, 1]. `bits` is the bit depth.
// Available: qv_pixel (uvec2), qv_channel (uint), u_seed (uint), qv_hash(uint) -> uint.

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  // With u uniform in [0, 1), floor(x * steps + u) rounds up with a probability equal to the
  // fractional part of x * steps. With u = 0.5 it is plain round-to-nearest.
  // TODO: make u a pseudo-random number in [0, 1) from the pixel, the channel and the seed, with
  // the exact recipe of the README.
  float u = 0.5;
  return min(floor(x * steps + u), steps) / steps;
}
