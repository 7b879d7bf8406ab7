uniform float u_crlf; // @slider 0 1 0.5
	uniform  float  u_tab ;	// @slider	0	1	1
