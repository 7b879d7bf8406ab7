#version 430 core
// Block-wise dequantization of the GpuKernel::BlockStats formats from one code byte per value,
// bit-identical to core::dequantizeBlockwise (the format's FormatDesc::decodeBlock):
// DECODE_OFFSET float(code - CODE_OFFSET) * step (int, ggml), DECODE_ZERO_POINT
// (float(code) - zero point) * scale (uint), DECODE_TABLE value[code] * scale (FP8), float32, no
// fusion. The step and zero point per block come from FormatDesc::decodeConstants.
layout(local_size_x = 64) in;

#ifndef CODE_BITS
#error "compiled without the format's defines (core::FormatDesc::gpuDefines)"
#endif

layout(std430, binding = 0) readonly restrict buffer Codes { uint s_codes[]; };
layout(std430, binding = 1) readonly restrict buffer Consts { vec2 s_consts[]; };  // (step, zero point)
layout(std430, binding = 2) writeonly restrict buffer Dst { float s_out[]; };

uniform uint u_n;
uniform uint u_count;  // ceil(n / 4)
uniform uint u_blockShift;
#if defined(DECODE_TABLE)
uniform float u_values[1 << CODE_BITS];  // FormatDesc::values: code -> value
#endif

float decode(uint code, vec2 k) {
#if defined(DECODE_ZERO_POINT)
  precise float d = float(code) - k.y;
  precise float v = d * k.x;
#elif defined(DECODE_TABLE)
  precise float v = u_values[code] * k.x;
#elif defined(DECODE_OFFSET)
  precise float v = float(int(code) - CODE_OFFSET) * k.x;
#else
#error "no DECODE_* branch for this format"
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
