#version 430 core
// bitsandbytes NF4/FP4 block-wise dequantization: out[i] = table[code] * absmax[block] (float32),
// bit-identical to core::dequantizeBlockwise. Reads the packed nibbles (value 2j high), 8 per item.
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly restrict buffer Packed { uint s_packed[]; };
layout(std430, binding = 1) readonly restrict buffer Scales { float s_scale[]; };
layout(std430, binding = 2) writeonly restrict buffer Dst { float s_out[]; };

uniform uint u_n;
uniform uint u_count;  // ceil(n / 8)
uniform uint u_blockShift;
uniform float u_table[16];

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint w = gl_GlobalInvocationID.x; w < u_count; w += stride) {
    uint pk = s_packed[w];
    uint i0 = w * 8u;
    float a = s_scale[i0 >> u_blockShift];  // blocks hold a multiple of 8 values
    for (uint k = 0u; k < 8u; ++k) {
      uint i = i0 + k;
      if (i >= u_n) break;
      uint code = (pk >> (8u * (k >> 1u) + ((k & 1u) == 0u ? 4u : 0u))) & 15u;
      precise float v = u_table[code] * a;
      s_out[i] = v;
    }
  }
}
