// Reference solution of exercise 03 (mu-law). Not copied by `qviz workshop init`.
uniform float u_mu;  // @slider 1 1000 255

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  float c = log(1.0 + u_mu * x) / log(1.0 + u_mu);  // compress
  float q = roundEven(c * steps) / steps;            // even levels in the compressed domain
  return (pow(1.0 + u_mu, q) - 1.0) / u_mu;          // expand
}
