// Reference solution of exercise 01 (truncation). Not copied by `qviz workshop init`.
float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  return floor(x * steps) / steps;
}
