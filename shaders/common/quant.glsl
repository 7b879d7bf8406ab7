// The uniform image quantizer for one sample, mirroring core/quant/uniform.cpp bit for bit
// (quantizeCode, dequantizeCode, stochasticHash, bayerOffset). Constants (scale, inv) come from
// core::uniformConstants as uniforms; only float32 multiplies/adds, roundEven and floor decide.
// Works in GLSL 3.30 (fragment path) and 4.30 (compute path); no I/O here.

// `precise` stops the compiler fusing s + offset into an fma (which would round differently from
// the CPU). It needs GLSL 4.00 or ARB_gpu_shader5; plain 3.30 without it has no way to say it.
#if __VERSION__ >= 400 || defined(GL_ARB_gpu_shader5)
#define QPRECISE precise
#else
#define QPRECISE
#endif

// Must match core::Rounding / core::Dither (the driver passes the enum values).
const uint ROUND_NEAREST = 0u;
const uint ROUND_TRUNCATE = 1u;
const uint ROUND_STOCHASTIC = 2u;
const uint ROUND_SEED = 3u;
const uint ROUND_DROP = 5u;  // 4 is the user shader, which has its own programs
const uint DITHER_NONE = 0u;
const uint DITHER_ORDERED = 1u;

uint lowbias32(uint x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// core::stochasticHash
uint stochasticHash(uint x, uint y, uint c, uint seed) {
  return lowbias32(x ^ lowbias32(y ^ lowbias32(c ^ lowbias32(seed + 0x9e3779b9u))));
}

// core::stochasticOffset: top 24 bits times 2^-24, exact in float32.
float stochasticOffset(uint x, uint y, uint c, uint seed) {
  return float(stochasticHash(x, y, c, seed) >> 8) * (1.0 / 16777216.0);
}

const uint kBayer8[64] = uint[64](
    0u, 32u, 8u, 40u, 2u, 34u, 10u, 42u, 48u, 16u, 56u, 24u, 50u, 18u, 58u, 26u,
    12u, 44u, 4u, 36u, 14u, 46u, 6u, 38u, 60u, 28u, 52u, 20u, 62u, 30u, 54u, 22u,
    3u, 35u, 11u, 43u, 1u, 33u, 9u, 41u, 51u, 19u, 59u, 27u, 49u, 17u, 57u, 25u,
    15u, 47u, 7u, 39u, 13u, 45u, 5u, 37u, 63u, 31u, 55u, 23u, 61u, 29u, 53u, 21u);

// core::bayerOffset: (bayer8[y%8][x%8] + 0.5) / 64, exact.
float bayerOffset(uint x, uint y) {
  return (float(kBayer8[(y & 7u) * 8u + (x & 7u)]) + 0.5) * (1.0 / 64.0);
}

// c is an integral float; negative zero and values above L-1 clamp.
uint clampCode(float c, uint levels) {
  return c > 0.0 ? min(uint(c), levels - 1u) : 0u;
}

// core::quantizeCode (not for Floyd-Steinberg, which is serial and stays on the CPU).
uint quantizeCode(uint v, float scale, uint levels, uint seedShift, uint rounding, uint dither,
                  uint x, uint y, uint c, uint seed) {
  if (rounding == ROUND_SEED) return (v * (levels - 1u)) >> seedShift;
  // Bit dropping, core's v >> (depth - bits): with levels = 2^bits and seedShift = depth,
  // (v * 2^bits) >> depth is the same integer, and v * levels < 2^32 for 16-bit samples.
  if (rounding == ROUND_DROP) return (v * levels) >> seedShift;
  QPRECISE float s = float(v) * scale;
  if (dither == DITHER_ORDERED) {
    QPRECISE float t = s + bayerOffset(x, y);
    return clampCode(floor(t), levels);
  }
  if (rounding == ROUND_NEAREST) return clampCode(roundEven(s), levels);
  if (rounding == ROUND_TRUNCATE) return clampCode(floor(s), levels);
  QPRECISE float t = s + stochasticOffset(x, y, c, seed);
  return clampCode(floor(t), levels);
}

// core::dequantizeCode
uint dequantizeCode(uint code, float inv, uint vmax, uint levels, uint rounding) {
  if (rounding == ROUND_SEED) return (code * vmax) / (levels - 1u);
  QPRECISE float v = roundEven(float(code) * inv);
  return v <= 0.0 ? 0u : min(uint(v), vmax);
}

// core::toGray: Y = (77 R + 150 G + 29 B + 128) >> 8 (fits 32 bits for 16-bit samples).
uint integerLuma(uint r, uint g, uint b) {
  return (77u * r + 150u * g + 29u * b + 128u) >> 8;
}
