#version 330 core
// Error map, fragment path (GL 3.3+): same mapping as error_map.comp, rendering into an RGBA8
// colour attachment. Must equal qviz::gpu::errorMapReference.
#include "common/error_map.glsl"

uniform usampler2D u_ref;
uniform usampler2D u_quant;
uniform uint u_colorChannels;
uniform uint u_mode;
uniform uint u_gain;
uniform uint u_shift;

out vec4 o_color;

void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  uvec4 r = texelFetch(u_ref, p, 0);
  uvec4 q = texelFetch(u_quant, p, 0);
  uvec3 m;
  for (uint c = 0u; c < 3u; ++c) {
    uint cc = min(c, u_colorChannels - 1u);
    m[c] = errorMapValue(r[cc], q[cc], u_mode, u_gain, u_shift);
  }
  o_color = vec4(vec3(m) / 255.0, 1.0);
}
