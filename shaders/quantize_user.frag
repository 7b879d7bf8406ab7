#version 330 core
// The workshop quantizer, fragment path (GL 3.3+): the same per-sample rule as quantize_user.comp,
// reading an integer texture and writing an integer colour attachment; alpha passes through.
#extension GL_ARB_gpu_shader5 : enable

#include "common/quant.glsl"
#include "common/user_api.glsl"
#include "user/quantizer.glsl"

#ifndef GRAY
#define GRAY 0
#endif
#ifndef COLOR_CHANNELS_N
#define COLOR_CHANNELS_N 3
#endif

uniform usampler2D u_src;
uniform uint u_qvVmax;
uniform float u_qvInvVmax;
uniform ivec4 u_qvBits;

out uvec4 o_sample;

uint qvQuantize(uint v, uint c, uvec2 p) {
  qv_pixel = p;
  qv_channel = c;
  int bits = c == 0u ? u_qvBits.x : c == 1u ? u_qvBits.y : u_qvBits.z;
  QPRECISE float q = userQuantize(float(v) * u_qvInvVmax, bits) * float(u_qvVmax);
  if (isnan(q)) return 0u;
  return uint(clamp(roundEven(q), 0.0, float(u_qvVmax)));
}

void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  uvec4 s = texelFetch(u_src, p, 0);
#if GRAY
  s = uvec4(integerLuma(s.r, s.g, s.b), s.a, 0u, 0u);
#endif
  uvec2 xy = uvec2(p);
  s.r = qvQuantize(s.r, 0u, xy);
#if COLOR_CHANNELS_N > 1
  s.g = qvQuantize(s.g, 1u, xy);
  s.b = qvQuantize(s.b, 2u, xy);
#endif
  o_sample = s;
}
