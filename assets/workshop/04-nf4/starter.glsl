// Exercise 04: NF4 lookup by midpoints (see README.md in this folder).
// x is a sample in [0, 1]; return the quantized sample, also in [0, 1]. `bits` is ignored: NF4
// always has 16 levels.

// bitsandbytes' NF4 code values (index = code), in [-1, 1].
const float NF4[16] = float[16](
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0);

// The 15 midpoints between neighbouring NF4 values, as float32 (NF4_MID[i] lies between NF4[i]
// and NF4[i + 1]).
const float NF4_MID[15] = float[15](
    -0.848096371, -0.610632896, -0.45999527, -0.33967942, -0.234607399,
    -0.137911737, -0.0455250181, 0.0397901498, 0.120255247, 0.203521252,
    0.292013764, 0.389312536, 0.501663446, 0.64278692, 0.861478448);

float userQuantize(float x, int bits) {
  float s = 2.0 * x - 1.0;  // [0, 1] -> [-1, 1]
  // TODO: the code is the number of midpoints strictly below s; the value is NF4[code].
  // For now: 16 evenly spaced levels on [-1, 1].
  float v = roundEven((s + 1.0) * 7.5) / 7.5 - 1.0;
  return (v + 1.0) * 0.5;   // [-1, 1] -> [0, 1]
}
