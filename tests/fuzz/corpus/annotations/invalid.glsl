uniform vec3 u_color; // @slider 0 1 0.5
uniform float u_a; // @slider 1 0 0.5
uniform float u_b; // @slider 0 1 2
uniform int u_c; // @slider 0.5 4 1
uniform uint u_d; // @slider -1 4 1
uniform float u_e; // @slider 0 1
uniform bool u_f; // @toggle maybe
uniform float u_g; // @toggle
uniform float u_gamma; // @slider 0 1 0
uniform float u_gamma; // @slider 0 2 1
// @slider 0 1 0
float x = 1.0; // @slider 0 1 0
uniform float u_h, u_i; // @slider 0 1 0
uniform float u_j; // @colour
uniform float u_k; // @slider 1e309 2 1
uniform float u_l; // @slider nan 1 0
