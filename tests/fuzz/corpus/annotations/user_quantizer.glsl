// The workshop quantizer: edit and save, and the explorer re-runs it at once ("user shader" rounding).
// x is a sample in [0, 1]; return the quantized sample, also in [0, 1]. `bits` is the bits slider.
// Uniforms with an annotation get a control in the Shaders panel:
//   uniform float u_name; // @slider MIN MAX DEFAULT      uniform bool u_name; // @toggle
// Also available: qv_pixel, qv_channel, u_seed, qv_hash(v), qv_levels(bits) (common/user_api.glsl).

uniform float u_gamma;  // @slider 0.25 4.0 1.0
uniform bool u_floor;   // @toggle

float userQuantize(float x, int bits) {
  float steps = qv_levels(bits) - 1.0;
  float y = pow(x, 1.0 / u_gamma);                      // quantize in a gamma-warped space ...
  float code = u_floor ? floor(y * steps) : roundEven(y * steps);
  return pow(code / steps, u_gamma);                    // ... and map the level back
}
