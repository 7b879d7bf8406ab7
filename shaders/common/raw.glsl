// What the raw block-format kernels (shaders/raw_<family>.comp) share: byte access to the blocks
// (little-endian words, as blocks.bin), ggml's nearest_int, and the fp16 store of a scale, all in
// exact integer or single float32 operations (core::ggml::nearestInt, core::floatToHalf).
//
// The driver (app/gpu/raw_kernels.cpp) defines QUANTIZE or DEQUANTIZE and the format's FMT_* and
// binds, for QUANTIZE: 0 = the input floats (s_x), 1 = the blocks as uint words (s_out, zeroed
// first, bytes OR-ed in so that blocks sharing a word do not race); for DEQUANTIZE: 0 = the blocks
// (s_in), 1 = the output floats (s_y). One invocation per block, a grid-stride loop over u_blocks;
// u_tensorScale is nvfp4's per-tensor scale (0 elsewhere).
uniform uint u_blocks;
uniform float u_tensorScale;

#ifdef QUANTIZE
layout(std430, binding = 0) readonly restrict buffer RawSrc { float s_x[]; };
layout(std430, binding = 1) restrict buffer RawOut { uint s_out[]; };
void putByte(uint i, uint v) { atomicOr(s_out[i >> 2u], (v & 255u) << (8u * (i & 3u))); }
void putU16(uint i, uint v) {
  putByte(i, v);
  putByte(i + 1u, v >> 8u);
}
#endif
#ifdef DEQUANTIZE
layout(std430, binding = 0) readonly restrict buffer RawIn { uint s_in[]; };
layout(std430, binding = 1) writeonly restrict buffer RawDst { float s_y[]; };
uint getByte(uint i) { return (s_in[i >> 2u] >> (8u * (i & 3u))) & 255u; }
uint getU16(uint i) { return getByte(i) | getByte(i + 1u) << 8u; }
#endif

// ggml's nearest_int: v + 1.5*2^23 in one float32 addition, the low 23 bits of its pattern - 2^22.
int nearestInt(float v) {
  precise float s = v + 12582912.0;
  return (floatBitsToInt(s) & 0x007fffff) - 0x00400000;
}

// float32 -> fp16 bits, round to nearest even, overflow to inf, NaN quiet (core::floatToHalf).
uint halfBits(float f) {
  uint x = floatBitsToUint(f);
  uint sign = (x >> 16u) & 0x8000u;
  uint a = x & 0x7fffffffu;
  if (a >= 0x7f800000u) return sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0u);
  if (a >= 0x477ff000u) return sign | 0x7c00u;
  if (a < 0x38800000u) {
    if (a < 0x33000000u) return sign;
    uint mant = (a & 0x7fffffu) | 0x800000u;
    uint shift = 126u - (a >> 23u);
    uint q = mant >> shift;
    uint rem = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u) != 0u)) ++q;
    return sign | q;
  }
  uint h = (((a >> 23u) - 112u) << 10u) | ((a >> 13u) & 0x3ffu);
  uint rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) ++h;
  return sign | h;
}
// fp16 bits -> float32 (exact, subnormals included: unpackHalf2x16 may flush them).
float halfValue(uint h) {
  uint sign = (h & 0x8000u) << 16u, e = (h >> 10u) & 31u, m = h & 1023u;
  if (e == 0u) {
    precise float v = float(m) * 5.9604644775390625e-8;  // m * 2^-24, exact
    return (sign != 0u) ? -v : v;
  }
  if (e == 31u) return uintBitsToFloat(sign | 0x7f800000u | (m << 13u));
  return uintBitsToFloat(sign | ((e + 112u) << 23u) | (m << 13u));
}

// The first invocation's block and the stride of the grid-stride loop.
#define FOR_EACH_BLOCK(b) \
  for (uint b = gl_GlobalInvocationID.x; b < u_blocks; b += gl_NumWorkGroups.x * gl_WorkGroupSize.x)
