#version 430 core
// The test kernel of common/raw_arith.glsl (tests/gpu/test_raw_arith.cpp, "[raw-arith]"):
// binding 0 holds u_count pairs (a, b) as float bits; binding 1 gets, per pair, crDiv(a, b),
// crSqrt(a) and the driver's own a / b, as bits (the last one only to report how the driver's `/`
// compares). u_perturb = 1 moves crDiv's estimate by (pair index % 7) - 3 ULP, the stand-in for a
// driver whose `/` is off by up to 3 ULP. Grid-stride loop, 64 invocations per group.
layout(local_size_x = 64) in;

#define RAW_ARITH_TEST 1
#include "common/raw_arith.glsl"

layout(std430, binding = 0) readonly restrict buffer ArithIn { uint s_pairs[]; };
layout(std430, binding = 1) writeonly restrict buffer ArithOut { uint s_results[]; };
uniform uint u_count;
uniform uint u_perturb;

void main() {
  for (uint i = gl_GlobalInvocationID.x; i < u_count; i += gl_NumWorkGroups.x * gl_WorkGroupSize.x) {
    float a = uintBitsToFloat(s_pairs[2u * i]), b = uintBitsToFloat(s_pairs[2u * i + 1u]);
    g_divPerturb = u_perturb != 0u ? int(i % 7u) - 3 : 0;
    s_results[3u * i] = floatBitsToUint(crDiv(a, b));
    s_results[3u * i + 1u] = floatBitsToUint(crSqrt(a));
    precise float q = a / b;
    s_results[3u * i + 2u] = floatBitsToUint(q);
  }
}
