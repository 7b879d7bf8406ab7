// Float helpers of the raw block kernels (raw_ggml_legacy, raw_ggml_iq4, raw_ggml_fp4, raw_mx,
// raw_nvfp4), each exact on any GPU: C's float-to-8-bit conversions as x86-64 gcc does them,
// roundf, floor(log2f(a)) from the bits and the driver's boundary table, and values built from
// bits (so a GPU that flushes subnormals still writes them). Include after common/raw.glsl.

// C's (int8)(v) and (uint8)(v) as x86-64 gcc compiles them: a 32-bit truncating conversion
// (0x80000000 for NaN, +-Inf and |v| >= 2^31), then the low byte.
int cInt8(float v) {
  if ((floatBitsToUint(v) & 0x7fffffffu) >= 0x4f000000u) return 0;
  int t = int(v);
  return (t << 24) >> 24;
}
uint cUint8(float v) {
  if ((floatBitsToUint(v) & 0x7fffffffu) >= 0x4f000000u) return 0u;
  return uint(int(v)) & 255u;
}

// roundf: half away from zero, for finite v (|v| < 2^23: the fraction is exact).
float roundAway(float v) {
  precise float a = abs(v);
  if (a >= 8388608.0) return v;
  precise float f = floor(a);
  precise float frac = a - f;
  precise float r = frac >= 0.5 ? f + 1.0 : f;
  return v < 0.0 ? -r : r;
}

#ifdef RAW_LOG2
// For binade k = -149..127 (index k + 149) the smallest float pattern whose float32 log2 rounds
// up to k + 1 (the pattern of 2^(k+1) where none does): RawFormatGpu's log2RoundUpTable().
uniform uint u_log2Up[277];
// The binade of a positive finite a (subnormals by their leading bit), from its bits.
int binadeOf(uint bits) {
  uint e = bits >> 23u;
  return e != 0u ? int(e) - 127 : findMSB(bits) - 149;
}
// floor(log2f(a)) for a positive finite float a given by its bits (log2f: the float32 result).
int floorLog2f(uint bits) {
  int k = binadeOf(bits);
  return k + (bits >= u_log2Up[k + 149] ? 1 : 0);
}
#endif

// sig * 2^e as a float32, built from bits: exact for 0 < sig < 2^24 when the value is a float32
// (normal or subnormal), whatever the GPU does with subnormal arithmetic.
float exactScaled(uint sig, int e) {
  if (sig == 0u) return 0.0;
  int msb = findMSB(sig);
  int E = msb + e;
  if (E >= -126) return uintBitsToFloat(uint(E + 127) << 23u | ((sig << uint(23 - msb)) & 0x7fffffu));
  return uintBitsToFloat(sig << uint(e + 149));
}
// 2^e as a float32 (e = -149..127), from bits.
float pow2f(int e) { return e >= -126 ? uintBitsToFloat(uint(e + 127) << 23u) : uintBitsToFloat(1u << uint(e + 149)); }
