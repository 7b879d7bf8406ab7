#version 430 core
// Block-wise dequantization of the int/uint/FP8/ggml formats from one code byte per value,
// bit-identical to core::dequantizeBlockwise: int and ggml float(code - offset) * step, uint
// (float(code) - zero point) * scale, FP8 value[code] * scale (float32, no fusion).
layout(local_size_x = 64) in;

#ifndef FORMAT_N
#define FORMAT_N 2
#endif

layout(std430, binding = 0) readonly restrict buffer Codes { uint s_codes[]; };
layout(std430, binding = 1) readonly restrict buffer Consts { vec2 s_consts[]; };  // (step, zero point)
layout(std430, binding = 2) writeonly restrict buffer Dst { float s_out[]; };

uniform uint u_n;
uniform uint u_count;  // ceil(n / 4)
uniform uint u_blockShift;
uniform float u_fp8[256];

float decode(uint code, vec2 k) {
#if FORMAT_N == 5 || FORMAT_N == 6
  precise float d = float(code) - k.y;
  precise float v = d * k.x;
#elif FORMAT_N == 7 || FORMAT_N == 8
  precise float v = u_fp8[code] * k.x;
#else
  const int off = FORMAT_N == 2 || FORMAT_N == 9 ? 128 : FORMAT_N == 4 ? 2 : 8;
  precise float v = float(int(code) - off) * k.x;
#endif
  return v;
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint w = gl_GlobalInvocationID.x; w < u_count; w += stride) {
    uint cw = s_codes[w];
    vec2 k = s_consts[(w * 4u) >> u_blockShift];
    for (uint j = 0u; j < 4u; ++j) {
      uint i = w * 4u + j;
      if (i >= u_n) break;
      s_out[i] = decode((cw >> (8u * j)) & 255u, k);
    }
  }
}
