#version 330 core
// Display conversion, fragment path (GL 3.3+): the same mapping as display.comp, rendering into
// an RGBA8 colour attachment. Must equal qviz::gpu::displayReference.
uniform usampler2D u_image;
uniform uint u_channels;
uniform uint u_colorChannels;
uniform uint u_shift;

out vec4 o_color;

void main() {
  uvec4 s = texelFetch(u_image, ivec2(gl_FragCoord.xy), 0);
  uvec4 m;
  for (uint c = 0u; c < 3u; ++c) m[c] = s[min(c, u_colorChannels - 1u)] >> u_shift;
  m.a = u_channels == u_colorChannels ? 255u : (s[u_colorChannels] >> u_shift);
  o_color = vec4(m) / 255.0;
}
