// What a workshop quantizer (user/quantizer.glsl) may use besides its own uniforms. The pipeline
// sets these before every userQuantize(x, bits) call; samples are in [0, 1] (v / vmax).
//   qv_pixel    the pixel being quantized (x right, y down, from the top-left corner)
//   qv_channel  0 red, 1 green, 2 blue (0 for a gray image)
//   u_seed      the seed control of the image panel (stochastic rounding)
//   qv_hash(v)  a 32-bit integer hash (lowbias32), for noise made from the pixel and the seed
//   qv_levels(bits)  2^bits as a float: the number of levels of a `bits`-deep code
uvec2 qv_pixel = uvec2(0u);
uint qv_channel = 0u;
uniform uint u_seed;

uint qv_hash(uint v) {
  v ^= v >> 16;
  v *= 0x7feb352du;
  v ^= v >> 15;
  v *= 0x846ca68bu;
  v ^= v >> 16;
  return v;
}

float qv_levels(int bits) {
  return float(1u << uint(clamp(bits, 0, 31)));
}
