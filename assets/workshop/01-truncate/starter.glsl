// Exercise 01: truncation vs nearest (see README.md in this folder).
// x is a sample in [0, 1]; return the quantized sample, also in [0, 1]. `bits` is the bit depth.

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;  // the highest code: 2^bits - 1
  // This rounds to the NEAREST level (the built-in "nearest" mode).
  // TODO: truncate instead: always go down to the level at or below x.
  return roundEven(x * steps) / steps;
}
