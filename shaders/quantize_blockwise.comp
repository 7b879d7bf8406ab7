#version 430 core
// bitsandbytes NF4/FP4 block-wise quantization (+ double quantization of the absmax). Must equal
// core::quantizeBlockwise code for code. The driver (app/gpu/tensor_kernels.cpp) runs STAGE 0..3:
// 0 absmax per block, 1 codes + packed nibbles, 2 max |absmax - offset| per 256 blocks, 3 the
// 8-bit dynamic-map codes and absmax_dq. Reciprocals (1/absmax, 1/absmax2) come from the CPU.
layout(local_size_x = 64) in;

#ifndef STAGE
#define STAGE 0
#endif

// x / a correctly rounded without a GPU division (GLSL allows 2.5 ulp for '/', and fma() is not
// fused everywhere): inv is the CPU's correctly rounded 1/a, q0 = x * inv is within an ulp of x/a,
// the residual x - q0 * a is exact with Dekker's product (Veltkamp split), and q0 + r * inv rounds
// to x / a. Absmax values above 2^100 are scaled by 2^-64 first so the split cannot overflow.
// Below 2^-100 (|x| <= absmax: tiny absmax, subnormal quotients) Dekker's product underflows and
// plain '/' is used; GPUs that flush subnormals differ from the CPU there anyway.
float splitHi(float v) {
  precise float c = 4097.0 * v;
  precise float hi = c - (c - v);
  return hi;
}
float exactDiv(float x, float a, float inv) {
  if (abs(x) < 7.888609e-31) return x / a;  // 2^-100
  if (a > 1.2676506e30) {  // 2^100
    x = ldexp(x, -64);
    a = ldexp(a, -64);
    inv = ldexp(inv, 64);
  }
  precise float q0 = x * inv;
  precise float ah = splitHi(a);
  precise float al = a - ah;
  precise float qh = splitHi(q0);
  precise float ql = q0 - qh;
  precise float p = q0 * a;
  precise float e = ((qh * ah - p) + qh * al + ql * ah) + ql * al;  // q0 * a = p + e exactly
  precise float r = (x - p) - e;                                     // exact: x - q0 * a
  precise float q = q0 + r * inv;
  return q;
}

uniform uint u_n;          // values (stage 0/1) or blocks (stage 2/3)
uniform uint u_count;      // work items of this stage
uniform uint u_blockShift; // log2(blocksize) (stage 0/1)
uniform uint u_fullBlocks; // blocks (stage 1) / 256-blocks (stage 3) that are full

#if STAGE == 0
layout(std430, binding = 0) readonly restrict buffer Src { float s_x[]; };
layout(std430, binding = 0) readonly restrict buffer SrcVec { vec4 s_xVec[]; };
layout(std430, binding = 1) writeonly restrict buffer Absmax { float s_absmax[]; };
void work(uint b) {
  uint first = b << u_blockShift;
  uint end = min(u_n, first + (1u << u_blockShift));
  float a = 0.0;
  uint i = first;
  if (end - first == (1u << u_blockShift)) {  // full block: vec4 loads (blocks start on 16 bytes)
    vec4 m = vec4(0.0);
    for (uint v = first >> 2u; v < (end >> 2u); ++v) m = max(m, abs(s_xVec[v]));
    a = max(max(m.x, m.y), max(m.z, m.w));
    i = end;
  }
  for (; i < end; ++i) a = max(a, abs(s_x[i]));
  s_absmax[b] = a;  // the CPU clamps it below at 1e-38 (a subnormal the GPU may flush)
}
#elif STAGE == 1
layout(std430, binding = 0) readonly restrict buffer Src { float s_x[]; };
layout(std430, binding = 0) readonly restrict buffer SrcVec { vec4 s_xVec[]; };
layout(std430, binding = 1) readonly restrict buffer Absmax { float s_absmax[]; };
layout(std430, binding = 2) readonly restrict buffer Inv { float s_inv[]; };
layout(std430, binding = 3) writeonly restrict buffer Codes { uint s_codes[]; };
layout(std430, binding = 4) writeonly restrict buffer Packed { uint s_packed[]; };
uniform float u_mids[15];  // sorted midpoints (core's Codebook)
uniform uint u_map[16];    // sorted index -> code

// Eight values per item: one packed word and two code words (blocks hold a multiple of 8).
void work(uint w) {
  uint i0 = w * 8u;
  uint b = i0 >> u_blockShift;
  bool partial = b >= u_fullBlocks;
  float a = s_absmax[b];
  float inv = s_inv[b];
  uint pk = 0u;
  uint cw0 = 0u, cw1 = 0u;
  float xs[8];
  if (i0 + 8u <= u_n) {  // two vec4 loads
    vec4 lo = s_xVec[2u * w], hi = s_xVec[2u * w + 1u];
    xs = float[8](lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
  } else {
    for (uint k = 0u; k < 8u; ++k) xs[k] = i0 + k < u_n ? s_x[i0 + k] : 0.0;  // odd length: the pad value 0.0
  }
  for (uint k = 0u; k < 8u; ++k) {
    float x = xs[k];
    // Full blocks: x * (1/absmax); the partial last block: x / absmax, as the CPU reference.
    precise float s = partial ? exactDiv(x, a, inv) : x * inv;
    uint c = 0u;
    for (int m = 0; m < 15; ++m) c += s > u_mids[m] ? 1u : 0u;  // a midpoint goes to the lower code
    uint code = u_map[c];
    if (k < 4u) cw0 |= code << (8u * k);
    else cw1 |= code << (8u * (k - 4u));
    pk |= code << (8u * (k >> 1u) + ((k & 1u) == 0u ? 4u : 0u));
  }
  s_codes[2u * w] = cw0;
  s_codes[2u * w + 1u] = cw1;
  s_packed[w] = pk;
}
#elif STAGE == 2
layout(std430, binding = 1) readonly restrict buffer Absmax { float s_absmax[]; };
layout(std430, binding = 5) writeonly restrict buffer Absmax2 { float s_absmax2[]; };
uniform float u_offset;
void work(uint b2) {
  uint first = b2 * 256u;
  uint end = min(u_n, first + 256u);
  float a2 = 0.0;
  for (uint i = first; i < end; ++i) {
    precise float v = s_absmax[i] - u_offset;
    a2 = max(a2, abs(v));
  }
  s_absmax2[b2] = a2;  // clamped below at 1e-38 on the CPU
}
#else
layout(std430, binding = 1) readonly restrict buffer Absmax { float s_absmax[]; };
layout(std430, binding = 5) readonly restrict buffer Absmax2 { float s_absmax2[]; };
layout(std430, binding = 6) readonly restrict buffer Inv2 { float s_inv2[]; };
layout(std430, binding = 7) writeonly restrict buffer QAbsmax { uint s_qabsmax[]; };
layout(std430, binding = 8) writeonly restrict buffer AbsmaxDq { float s_absmaxDq[]; };
uniform float u_offset;
uniform float u_dmids[255];  // midpoints of the sorted dynamic map
uniform float u_dmap[256];   // the dynamic map (sorted: index = code)
void work(uint b) {
  uint b2 = b >> 8u;
  float a2 = s_absmax2[b2];
  precise float v = s_absmax[b] - u_offset;
  precise float s = b2 < u_fullBlocks ? v * s_inv2[b2] : exactDiv(v, a2, s_inv2[b2]);  // partial: v / a2, as the CPU
  uint lo = 0u, hi = 255u;  // count of midpoints strictly below s (lower_bound)
  while (lo < hi) {
    uint mid = (lo + hi) >> 1u;
    if (u_dmids[mid] < s) lo = mid + 1u;
    else hi = mid;
  }
  s_qabsmax[b] = lo;
  precise float p = u_dmap[lo] * a2;
  precise float dq = p + u_offset;
  s_absmaxDq[b] = dq;
}
#endif

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint t = gl_GlobalInvocationID.x; t < u_count; t += stride) work(t);
}
