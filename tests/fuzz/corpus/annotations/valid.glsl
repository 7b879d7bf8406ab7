uniform float u_gamma;  // @slider 0.2 4.0 1.0
uniform int u_steps;    // @slider 1 16 4
uniform uint u_bits;    // @slider 0 8 2
uniform bool u_dither;  // @toggle
uniform int u_on;       // @toggle on
uniform highp float u_x; // @slider -1.5e2 2.5f +0.0
