// Reference solution of exercise 03 (mu-law). Not copied by `qviz workshop init`.
const float MU = 255.0;

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  float c = log(1.0 + MU * x) / log(1.0 + MU);  // compress
  float q = roundEven(c * steps) / steps;        // even levels in the compressed domain
  return (pow(1.0 + MU, q) - 1.0) / MU;          // expand
}
