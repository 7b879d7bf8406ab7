#version 330 core
// One triangle covering the viewport, from gl_VertexID alone (draw 3 vertices, no buffers): the
// vertex stage of every fragment-path pass.
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
