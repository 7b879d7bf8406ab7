// Reference solution of exercise 02 (stochastic rounding). Not copied by `qviz workshop init`.
// The same hash chain as core::stochasticOffset, so it is the built-in "stochastic" mode's noise.
float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  uint h = qv_hash(qv_pixel.x ^ qv_hash(qv_pixel.y ^ qv_hash(qv_channel ^ qv_hash(u_seed + 0x9e3779b9u))));
  float u = float(h >> 8) * (1.0 / 16777216.0);  // the top 24 bits: a float in [0, 1)
  return min(floor(x * steps + u), steps) / steps;
}
