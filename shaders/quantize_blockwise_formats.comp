#version 430 core
// Block-wise quantization of the formats that core::FormatDesc runs on GpuKernel::BlockStats
// (int8/int4/int2, uint8/uint4, FP8 E4M3/E5M2, ggml Q8_0/Q4_0); must equal core::quantizeBlockwise
// code for code. STAGE 0: per-block statistics (core::blockStats: absmax; min and max; the first
// value of largest magnitude); the CPU turns them into the block constants with the format's
// FormatDesc::constants (scale, 1/scale, zero point, fp16 d). STAGE 1: the codes (8 per item) and
// nibbles. The driver puts the format's FormatDesc::gpuDefines in front: CODE_BITS, one STAT_*,
// one ENCODE_* with its constants (a new format adds its ENCODE_* branch to codeOf below).
layout(local_size_x = 64) in;

#ifndef STAGE
#define STAGE 0
#endif
#ifndef CODE_BITS
#error "compiled without the format's defines (core::FormatDesc::gpuDefines)"
#endif

uniform uint u_n;
uniform uint u_count;
uniform uint u_blockShift;

#if STAGE == 0
layout(std430, binding = 0) readonly restrict buffer Src { float s_x[]; };
layout(std430, binding = 1) writeonly restrict buffer Stats { vec2 s_stats[]; };
void work(uint b) {
  uint first = b << u_blockShift;
  uint end = min(u_n, first + (1u << u_blockShift));
  float s0 = 0.0, s1 = 0.0;
  for (uint i = first; i < end; ++i) {
    float x = s_x[i];
#if defined(STAT_MINMAX)
    s0 = x < s0 ? x : s0;  // std::min(lo, x), std::max(hi, x): the same signed zeros
    s1 = s1 < x ? x : s1;
#elif defined(STAT_FIRST_ABSMAX)
    if (s0 < abs(x)) {  // the first value of largest magnitude
      s0 = abs(x);
      s1 = x;
    }
#else
    s0 = s0 < abs(x) ? abs(x) : s0;
#endif
  }
  s_stats[b] = vec2(s0, s1);
}
#else
layout(std430, binding = 0) readonly restrict buffer Src { float s_x[]; };
layout(std430, binding = 2) readonly restrict buffer Consts { vec2 s_consts[]; };  // (1/scale or id, zero point)
layout(std430, binding = 3) writeonly restrict buffer Codes { uint s_codes[]; };
layout(std430, binding = 4) writeonly restrict buffer Packed { uint s_packed[]; };
uniform uint u_padCode;  // 4-bit formats: the code of the pad value 0.0 (odd length)

#if defined(ENCODE_FP8)
// core's fp8Encode (MBITS, BIAS, MAXFIELD, MAXMANT from the format's Fp8Spec): round to nearest even on the mantissa, saturating at the largest finite value.
uint fp8Encode(float y) {
  uint sign = (floatBitsToUint(y) >> 31) != 0u ? 0x80u : 0u;
  float a = abs(y);
  int e;
  frexp(a, e);
  int ex = max(e - 1, 1 - BIAS);
  uint m = uint(roundEven(ldexp(a, MBITS - ex)));  // exact power-of-two scaling
  if (m == (2u << MBITS)) {
    m = 1u << MBITS;
    ++ex;
  }
  bool sub = m < (1u << MBITS);
  int field = sub ? 0 : ex + BIAS;
  uint mant = sub ? m : m - (1u << MBITS);
  if (field > MAXFIELD || (field == MAXFIELD && mant > uint(MAXMANT))) return sign | (uint(MAXFIELD) << MBITS) | uint(MAXMANT);
  return sign | (uint(field) << MBITS) | mant;
}
#endif

uint codeOf(float x, float inv, float zp) {
#if defined(ENCODE_SYMMETRIC)
  const float qmax = float(QMAX);
  precise float v = x * inv;
  return uint(int(clamp(roundEven(v), -qmax, qmax)) + CODE_OFFSET);
#elif defined(ENCODE_ASYMMETRIC)
  const float levels = float(LEVELS);
  precise float v = x * inv;
  precise float q = roundEven(v) + zp;
  return uint(clamp(q, 0.0, levels));
#elif defined(ENCODE_FP8)
  precise float v = x * inv;
  return fp8Encode(v);
#elif defined(ENCODE_ROUND_AWAY)
  precise float v = x * inv;  // id = d ? 1/d : 0 from the float32 d
  float t = trunc(v);
  precise float f = v - t;
  float r = abs(f) >= 0.5 ? t + sign(v) : t;  // roundf: half away from zero
  return uint(int(r) + CODE_OFFSET);
#elif defined(ENCODE_Q4_0)
  precise float p = x * inv;
  precise float v = p + (float(CODE_OFFSET) + 0.5);  // two roundings, as ggml (x * id + 8.5)
  return uint(min(MAXCODE, int(v)));
#else
#error "no ENCODE_* branch for this format"
#endif
}

void work(uint w) {
  uint i0 = w * 8u;
  vec2 k = s_consts[i0 >> u_blockShift];  // blocks hold a multiple of 8 values
  uint pk = 0u, cw0 = 0u, cw1 = 0u;
  for (uint j = 0u; j < 8u; ++j) {
    uint i = i0 + j;
    uint code = i < u_n ? codeOf(s_x[i], k.x, k.y) : u_padCode;
    if (j < 4u) cw0 |= code << (8u * j);
    else cw1 |= code << (8u * (j - 4u));
    pk |= (code & 15u) << (8u * (j >> 1u) + ((j & 1u) == 0u ? 4u : 0u));
  }
  s_codes[2u * w] = cw0;
  s_codes[2u * w + 1u] = cw1;
  s_packed[w] = pk;
}
#endif

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint t = gl_GlobalInvocationID.x; t < u_count; t += stride) work(t);
}
