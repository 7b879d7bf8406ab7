// Exercise 03: a mu-law quantizer (see README.md in this folder).
// x is a sample in [0, 1]; return the quantized sample, also in [0, 1]. `bits` is the bit depth.

const float MU = 255.0;  // how strongly the levels crowd into the dark end

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  // TODO: 1. compress x:   c = log(1 + MU x) / log(1 + MU)
  //       2. quantize c to the nearest of steps + 1 even levels (this line, applied to c)
  //       3. expand back:  (pow(1 + MU, q) - 1) / MU
  // For now the levels are spread evenly over [0, 1] (the built-in "nearest" mode).
  return roundEven(x * steps) / steps;
}
