// bitsandbytes NF4 and FP4 (absmax per block, codes by midpoint search in a 16-value table,
// nibble-packed high first) and their double quantization (the absmax coded with the 8-bit signed
// dynamic map in groups of 256 blocks). The hot loops are branch-free (a code is the count of
// midpoints below the scaled value) so they vectorise; AVX2 versions where the CPU has it.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "quant/formats/family.hpp"
#include "util/parallel.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace qviz::core {
using formats::firstNonFinite;
using formats::nonFiniteError;
namespace {


// bitsandbytes' NF4 code values (index = code), as float32.
constexpr std::array<float, 16> kNf4 = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

// bitsandbytes' FP4 (E2M1 variant) in code order before dividing by 12; bit 3 is the sign. Code 8
// ("-0") holds +0.0 as in the reference table (tests/data/vectors/fp4_table.npy), so it dequantizes
// to +0.0 bit for bit.
constexpr std::array<float, 16> kFp4Times12 = {0.0f, 0.0625f, 8.0f, 12.0f, 4.0f, 6.0f, 2.0f, 3.0f,
                                                0.0f, -0.0625f, -8.0f, -12.0f, -4.0f, -6.0f, -2.0f, -3.0f};

// The signed 8-bit "dynamic" map of double quantization: the float32 output of bitsandbytes'
// create_dynamic_map(signed=True) (7 exponent bits: 7 decades of linearly spaced fractions, plus
// 0 and 1), sorted. Kept as numbers because torch's float32 linspace rounding is not reproducible
// from its formula; tests compare it with tests/data/vectors/dynamic_map.npy value for value.
constexpr std::array<float, 256> kDynamicMap = {
    -0x1.fc6666p-1f, -0x1.f53332p-1f, -0x1.eep-1f, -0x1.e6ccccp-1f, -0x1.df9998p-1f, -0x1.d86666p-1f, -0x1.d13334p-1f, -0x1.cap-1f,
    -0x1.c2ccccp-1f, -0x1.bb9998p-1f, -0x1.b46666p-1f, -0x1.ad3332p-1f, -0x1.a6p-1f, -0x1.9eccccp-1f, -0x1.979998p-1f, -0x1.906666p-1f,
    -0x1.893334p-1f, -0x1.82p-1f, -0x1.7acccep-1f, -0x1.73999ap-1f, -0x1.6c6668p-1f, -0x1.653334p-1f, -0x1.5ep-1f, -0x1.56cccep-1f,
    -0x1.4f999ap-1f, -0x1.486666p-1f, -0x1.413334p-1f, -0x1.3ap-1f, -0x1.32ccccp-1f, -0x1.2b999ap-1f, -0x1.246668p-1f, -0x1.1d3334p-1f,
    -0x1.16p-1f, -0x1.0eccccp-1f, -0x1.07999ap-1f, -0x1.006666p-1f, -0x1.f26668p-2f, -0x1.e4p-2f, -0x1.d59998p-2f, -0x1.c73334p-2f,
    -0x1.b8ccccp-2f, -0x1.aa6664p-2f, -0x1.9cp-2f, -0x1.8d9998p-2f, -0x1.7f3334p-2f, -0x1.70ccccp-2f, -0x1.626664p-2f, -0x1.54p-2f,
    -0x1.459998p-2f, -0x1.373334p-2f, -0x1.28ccccp-2f, -0x1.1a6668p-2f, -0x1.0cp-2f, -0x1.fb3334p-3f, -0x1.de6668p-3f, -0x1.c1999ap-3f,
    -0x1.a4ccccp-3f, -0x1.88p-3f, -0x1.6b3332p-3f, -0x1.4e6666p-3f, -0x1.31999ap-3f, -0x1.14ccccp-3f, -0x1.fp-4f, -0x1.b66668p-4f,
    -0x1.93d70ap-4f, -0x1.8851eap-4f, -0x1.7ccccep-4f, -0x1.7147aep-4f, -0x1.65c29p-4f, -0x1.5a3d7p-4f, -0x1.4eb85p-4f, -0x1.433334p-4f,
    -0x1.37ae14p-4f, -0x1.2c28f6p-4f, -0x1.20a3d6p-4f, -0x1.151ebap-4f, -0x1.09999ap-4f, -0x1.fc28f4p-5f, -0x1.e51ebap-5f, -0x1.ce147ap-5f,
    -0x1.b70a3ep-5f, -0x1.ap-5f, -0x1.88f5c2p-5f, -0x1.71eb86p-5f, -0x1.5ae146p-5f, -0x1.43d70ap-5f, -0x1.2ccccep-5f, -0x1.15c28ep-5f,
    -0x1.fd70a4p-6f, -0x1.cf5c26p-6f, -0x1.a147aep-6f, -0x1.733334p-6f, -0x1.451eb8p-6f, -0x1.170a3ep-6f, -0x1.d1eb86p-7f, -0x1.75c29p-7f,
    -0x1.3e76c8p-7f, -0x1.2c083p-7f, -0x1.19999ap-7f, -0x1.072b02p-7f, -0x1.e978d4p-8f, -0x1.c49ba6p-8f, -0x1.9fbe76p-8f, -0x1.7ae148p-8f,
    -0x1.56041ap-8f, -0x1.3126e8p-8f, -0x1.0c49bap-8f, -0x1.ced914p-9f, -0x1.851eb8p-9f, -0x1.3b645ap-9f, -0x1.e353f8p-10f, -0x1.4fdf3ap-10f,
    -0x1.eecbfep-11f, -0x1.b3d07cp-11f, -0x1.78d5p-11f, -0x1.3dd982p-11f, -0x1.02de02p-11f, -0x1.8fc506p-12f, -0x1.19ce0ap-12f, -0x1.47ae16p-13f,
    -0x1.743e96p-14f, -0x1.15df66p-14f, -0x1.6f0068p-15f, -0x1.64840cp-16f, -0x1.040bfep-17f, -0x1.b43528p-19f, -0x1.27476ep-21f, 0.0f,
    0x1.27476ep-21f, 0x1.b43528p-19f, 0x1.040bfep-17f, 0x1.64840cp-16f, 0x1.6f0068p-15f, 0x1.15df66p-14f, 0x1.743e96p-14f, 0x1.47ae16p-13f,
    0x1.19ce0ap-12f, 0x1.8fc506p-12f, 0x1.02de02p-11f, 0x1.3dd982p-11f, 0x1.78d5p-11f, 0x1.b3d07cp-11f, 0x1.eecbfep-11f, 0x1.4fdf3ap-10f,
    0x1.e353f8p-10f, 0x1.3b645ap-9f, 0x1.851eb8p-9f, 0x1.ced914p-9f, 0x1.0c49bap-8f, 0x1.3126e8p-8f, 0x1.56041ap-8f, 0x1.7ae148p-8f,
    0x1.9fbe76p-8f, 0x1.c49ba6p-8f, 0x1.e978d4p-8f, 0x1.072b02p-7f, 0x1.19999ap-7f, 0x1.2c083p-7f, 0x1.3e76c8p-7f, 0x1.75c29p-7f,
    0x1.d1eb86p-7f, 0x1.170a3ep-6f, 0x1.451eb8p-6f, 0x1.733334p-6f, 0x1.a147aep-6f, 0x1.cf5c26p-6f, 0x1.fd70a4p-6f, 0x1.15c28ep-5f,
    0x1.2ccccep-5f, 0x1.43d70ap-5f, 0x1.5ae146p-5f, 0x1.71eb86p-5f, 0x1.88f5c2p-5f, 0x1.ap-5f, 0x1.b70a3ep-5f, 0x1.ce147ap-5f,
    0x1.e51ebap-5f, 0x1.fc28f4p-5f, 0x1.09999ap-4f, 0x1.151ebap-4f, 0x1.20a3d6p-4f, 0x1.2c28f6p-4f, 0x1.37ae14p-4f, 0x1.433334p-4f,
    0x1.4eb85p-4f, 0x1.5a3d7p-4f, 0x1.65c29p-4f, 0x1.7147aep-4f, 0x1.7ccccep-4f, 0x1.8851eap-4f, 0x1.93d70ap-4f, 0x1.b66668p-4f,
    0x1.fp-4f, 0x1.14ccccp-3f, 0x1.31999ap-3f, 0x1.4e6666p-3f, 0x1.6b3332p-3f, 0x1.88p-3f, 0x1.a4ccccp-3f, 0x1.c1999ap-3f,
    0x1.de6668p-3f, 0x1.fb3334p-3f, 0x1.0cp-2f, 0x1.1a6668p-2f, 0x1.28ccccp-2f, 0x1.373334p-2f, 0x1.459998p-2f, 0x1.54p-2f,
    0x1.626664p-2f, 0x1.70ccccp-2f, 0x1.7f3334p-2f, 0x1.8d9998p-2f, 0x1.9cp-2f, 0x1.aa6664p-2f, 0x1.b8ccccp-2f, 0x1.c73334p-2f,
    0x1.d59998p-2f, 0x1.e4p-2f, 0x1.f26668p-2f, 0x1.006666p-1f, 0x1.07999ap-1f, 0x1.0eccccp-1f, 0x1.16p-1f, 0x1.1d3334p-1f,
    0x1.246668p-1f, 0x1.2b999ap-1f, 0x1.32ccccp-1f, 0x1.3ap-1f, 0x1.413334p-1f, 0x1.486666p-1f, 0x1.4f999ap-1f, 0x1.56cccep-1f,
    0x1.5ep-1f, 0x1.653334p-1f, 0x1.6c6668p-1f, 0x1.73999ap-1f, 0x1.7acccep-1f, 0x1.82p-1f, 0x1.893334p-1f, 0x1.906666p-1f,
    0x1.979998p-1f, 0x1.9eccccp-1f, 0x1.a6p-1f, 0x1.ad3332p-1f, 0x1.b46666p-1f, 0x1.bb9998p-1f, 0x1.c2ccccp-1f, 0x1.cap-1f,
    0x1.d13334p-1f, 0x1.d86666p-1f, 0x1.df9998p-1f, 0x1.e6ccccp-1f, 0x1.eep-1f, 0x1.f53332p-1f, 0x1.fc6666p-1f, 0x1p+0f,
};

constexpr float kAbsmaxFloor = 1e-38f;  // bitsandbytes clamps the block absmax below at 1e-38

// float32 pairwise sum (sequential below 8 values): the offset of double quantization. This
// reproduces torch's float32 mean on the reference vectors; a double sum rounds differently.
float pairwiseSum(const float* x, std::size_t n) {
  if (n <= 8) {
    float s = 0.0f;
    for (std::size_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  const std::size_t h = n / 2;
  return pairwiseSum(x, h) + pairwiseSum(x + h, n - h);
}

#if defined(__x86_64__)
// AVX2 kernels unless the CPU lacks AVX2 or QVIZ_SIMD=0 asks for the portable loops (the tests
// run the reference vectors both ways).
bool useAvx2() {
  const char* env = std::getenv("QVIZ_SIMD");
  return __builtin_cpu_supports("avx2") && !(env && std::string(env) == "0");
}
#endif

// ---- NF4 / FP4 hot loops ---------------------------------------------------------------------

// Full blocks [b0, b1): absmax (max of |x| on the bit patterns: exact, and non-finite values
// show up as >= 0x7f800000), codes by midpoint counting, nibble packing. Returns false when a
// block holds NaN or Inf (its outputs are then left undefined).
bool quantize4BitBlocksScalar(const float* __restrict x, std::uint8_t* __restrict codes, std::uint8_t* __restrict packed,
                        float* __restrict absmax, std::size_t b0, std::size_t b1, std::size_t bs,
                        const float* __restrict midsIn, std::uint32_t mapLo, std::uint32_t mapHi, bool remap) {
  float mid[15];
  for (int k = 0; k < 15; ++k) mid[k] = midsIn[k];
  bool finite = true;
  for (std::size_t b = b0; b < b1; ++b) {
    const float* xb = x + b * bs;
    std::uint8_t* cb = codes + b * bs;
    std::uint8_t* pb = packed + b * bs / 2;
    std::uint32_t maxBits = 0;
    for (std::size_t i = 0; i < bs; ++i) maxBits = std::max(maxBits, std::bit_cast<std::uint32_t>(xb[i]) & 0x7fffffffu);
    if (maxBits >= 0x7f800000u) {
      finite = false;
      continue;
    }
    const float a = std::max(std::bit_cast<float>(maxBits), kAbsmaxFloor);
    absmax[b] = a;
    const float inv = 1.0f / a;  // reciprocal first, then multiply (the reference's full-block path)
    // Clamping the scaled value to [-1, 1] is not needed: every midpoint lies inside (-1, 1).
    if (!remap) {
      for (std::size_t i = 0; i < bs; ++i) {
        const float s = xb[i] * inv;
        std::uint32_t c = 0;
        for (int k = 0; k < 15; ++k) c += s > mid[k] ? 1u : 0u;
        cb[i] = std::uint8_t(c);
      }
    } else {
      for (std::size_t i = 0; i < bs; ++i) {
        const float s = xb[i] * inv;
        std::uint32_t c = 0;
        for (int k = 0; k < 15; ++k) c += s > mid[k] ? 1u : 0u;
        cb[i] = std::uint8_t(((c < 8 ? mapLo : mapHi) >> ((c & 7u) * 4u)) & 15u);
      }
    }
    for (std::size_t j = 0; j < bs / 2; ++j) pb[j] = std::uint8_t(cb[2 * j] << 4 | cb[2 * j + 1]);
  }
  return finite;
}

#if defined(__x86_64__)
// Sorted index (count of midpoints below) of 8 scaled values, mapped to codes when `remap`.
__attribute__((target("avx2"), always_inline)) inline __m256i codesOf8(__m256 sv, const __m256* mid, bool remap,
                                                                        __m256i vLo, __m256i vHi) {
  __m256i c = _mm256_setzero_si256();
  for (int k = 0; k < 15; ++k) c = _mm256_sub_epi32(c, _mm256_castps_si256(_mm256_cmp_ps(sv, mid[k], _CMP_GT_OQ)));
  if (remap) {
    const __m256i below8 = _mm256_cmpgt_epi32(_mm256_set1_epi32(8), c);
    const __m256i table = _mm256_blendv_epi8(vHi, vLo, below8);
    const __m256i shift = _mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(7)), 2);
    c = _mm256_and_si256(_mm256_srlv_epi32(table, shift), _mm256_set1_epi32(15));
  }
  return c;
}

// AVX2 version of quantize4BitBlocksScalar, 32 values per step (blocks hold a multiple of 32):
// the same float32 multiply and comparisons, so the same codes.
__attribute__((target("avx2")))
bool quantize4BitBlocksAvx2(const float* __restrict x, std::uint8_t* __restrict codes, std::uint8_t* __restrict packed,
                            float* __restrict absmax, std::size_t b0, std::size_t b1, std::size_t bs,
                            const float* __restrict midsIn, std::uint32_t mapLo, std::uint32_t mapHi, bool remap) {
  __m256 mid[15];
  for (int k = 0; k < 15; ++k) mid[k] = _mm256_set1_ps(midsIn[k]);
  const __m256i absMask = _mm256_set1_epi32(0x7fffffff);
  const __m256i vLo = _mm256_set1_epi32(int(mapLo)), vHi = _mm256_set1_epi32(int(mapHi));
  const __m256i byteOrder = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i lowByte = _mm256_set1_epi16(0x00ff);
  bool finite = true;
  for (std::size_t b = b0; b < b1; ++b) {
    const float* xb = x + b * bs;
    __m256i maxBits = _mm256_setzero_si256();
    for (std::size_t i = 0; i < bs; i += 8)
      maxBits = _mm256_max_epu32(maxBits, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb + i)), absMask));
    alignas(32) std::uint32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), maxBits);
    std::uint32_t m = 0;
    for (std::uint32_t v : lanes) m = std::max(m, v);
    if (m >= 0x7f800000u) {
      finite = false;
      continue;
    }
    const float a = std::max(std::bit_cast<float>(m), kAbsmaxFloor);
    absmax[b] = a;
    const __m256 inv = _mm256_set1_ps(1.0f / a);
    std::uint8_t* cb = codes + b * bs;
    std::uint8_t* pb = packed + b * bs / 2;
    for (std::size_t i = 0; i < bs; i += 32) {
      const __m256i c0 = codesOf8(_mm256_mul_ps(_mm256_loadu_ps(xb + i), inv), mid, remap, vLo, vHi);
      const __m256i c1 = codesOf8(_mm256_mul_ps(_mm256_loadu_ps(xb + i + 8), inv), mid, remap, vLo, vHi);
      const __m256i c2 = codesOf8(_mm256_mul_ps(_mm256_loadu_ps(xb + i + 16), inv), mid, remap, vLo, vHi);
      const __m256i c3 = codesOf8(_mm256_mul_ps(_mm256_loadu_ps(xb + i + 24), inv), mid, remap, vLo, vHi);
      const __m256i w01 = _mm256_packus_epi32(c0, c1), w23 = _mm256_packus_epi32(c2, c3);
      const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(w01, w23), byteOrder);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(cb + i), bytes);
      // Each 16-bit lane holds (even code, odd code): even << 4 | odd.
      const __m256i pairs = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(bytes, lowByte), 4), _mm256_srli_epi16(bytes, 8));
      const __m256i pk = _mm256_permute4x64_epi64(_mm256_packus_epi16(pairs, pairs), 0x08);  // qwords 0 and 2
      _mm_storeu_si128(reinterpret_cast<__m128i*>(pb + i / 2), _mm256_castsi256_si128(pk));
    }
  }
  return finite;
}
#endif

bool quantize4BitBlocks(const float* x, std::uint8_t* codes, std::uint8_t* packed, float* absmax, std::size_t b0,
                        std::size_t b1, std::size_t bs, const float* mids, std::uint32_t mapLo, std::uint32_t mapHi,
                        bool remap) {
#if defined(__x86_64__)
  static const bool avx2 = useAvx2();
  if (avx2) return quantize4BitBlocksAvx2(x, codes, packed, absmax, b0, b1, bs, mids, mapLo, mapHi, remap);
#endif
  return quantize4BitBlocksScalar(x, codes, packed, absmax, b0, b1, bs, mids, mapLo, mapHi, remap);
}

// out[i] = table[code] * absmax through a per-block table of the 16 products (the same float32
// multiplications, so bit-identical to the formula).
void dequantize4BitBlocksScalar(const std::uint8_t* __restrict codes, const float* __restrict absmax,
                                float* __restrict out, std::size_t b0, std::size_t b1, std::size_t bs, std::size_t n,
                                const float* __restrict table) {
  for (std::size_t b = b0; b < b1; ++b) {
    float scaled[16];
    const float a = absmax[b];
    for (int k = 0; k < 16; ++k) scaled[k] = table[k] * a;
    const std::size_t end = std::min(n, (b + 1) * bs);
    for (std::size_t i = b * bs; i < end; ++i) out[i] = scaled[codes[i] & 15u];
  }
}

#if defined(__x86_64__)
// AVX2: the 16 products live in two registers; vpermps picks by the low 3 bits of each code and
// bit 3 selects the register. Blocks hold a multiple of 8 values (blocksize >= 32), so only the
// partial last block needs the scalar tail.
__attribute__((target("avx2")))
void dequantize4BitBlocksAvx2(const std::uint8_t* __restrict codes, const float* __restrict absmax,
                              float* __restrict out, std::size_t b0, std::size_t b1, std::size_t bs, std::size_t n,
                              const float* __restrict table) {
  const __m256 tlo = _mm256_loadu_ps(table), thi = _mm256_loadu_ps(table + 8);
  for (std::size_t b = b0; b < b1; ++b) {
    const __m256 a = _mm256_set1_ps(absmax[b]);
    const __m256 slo = _mm256_mul_ps(tlo, a), shi = _mm256_mul_ps(thi, a);
    const std::size_t begin = b * bs, end = std::min(n, begin + bs);
    std::size_t i = begin;
    for (; i + 8 <= end; i += 8) {
      std::int64_t packed8;
      std::memcpy(&packed8, codes + i, 8);
      const __m256i c = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(packed8));
      const __m256 lo = _mm256_permutevar8x32_ps(slo, c), hi = _mm256_permutevar8x32_ps(shi, c);
      const __m256 pick = _mm256_castsi256_ps(_mm256_slli_epi32(c, 28));  // bit 3 -> sign bit
      _mm256_storeu_ps(out + i, _mm256_blendv_ps(lo, hi, pick));
    }
    if (i < end) {
      alignas(32) float scaled[16];
      _mm256_store_ps(scaled, slo);
      _mm256_store_ps(scaled + 8, shi);
      for (; i < end; ++i) out[i] = scaled[codes[i] & 15u];
    }
  }
}
#endif

void dequantize4BitBlocks(const std::uint8_t* codes, const float* absmax, float* out, std::size_t b0, std::size_t b1,
                          std::size_t bs, std::size_t n, const float* table) {
#if defined(__x86_64__)
  static const bool avx2 = useAvx2();
  if (avx2) return dequantize4BitBlocksAvx2(codes, absmax, out, b0, b1, bs, n, table);
#endif
  dequantize4BitBlocksScalar(codes, absmax, out, b0, b1, bs, n, table);
}

__attribute__((target_clones("avx2", "default")))
void dequantizePackedBlocks(const std::uint8_t* __restrict packed, const float* __restrict absmax, float* __restrict out,
                            std::size_t b0, std::size_t b1, std::size_t bs, std::size_t n, const float* __restrict table) {
  for (std::size_t b = b0; b < b1; ++b) {
    float scaled[16];
    const float a = absmax[b];
    for (int k = 0; k < 16; ++k) scaled[k] = table[k] * a;
    const std::size_t end = std::min(n, (b + 1) * bs);
    for (std::size_t i = b * bs; i < end; ++i) {
      const std::uint8_t byte = packed[i / 2];
      out[i] = scaled[(i & 1) ? (byte & 15u) : (byte >> 4)];
    }
  }
}

const Codebook& codebookFor(TensorFormat f) {
  static const Codebook nf4 = makeCodebook(nf4Table());
  static const Codebook fp4 = makeCodebook(fp4Table());
  return f == TensorFormat::NF4 ? nf4 : fp4;
}

void doubleQuantize(QuantizedTensor& q) {
  const std::size_t nb = q.absmax.size();
  const Codebook& cb = dynamicMapCodebook();
  q.offset = doubleQuantOffset(q.absmax.data(), nb);
  const std::size_t nb2 = (nb + 255) / 256;
  q.qabsmax.assign(nb, 0);
  q.absmax2.assign(nb2, 0.0f);
  q.absmaxDq.assign(nb, 0.0f);
  std::vector<float> v(256);
  for (std::size_t b2 = 0; b2 < nb2; ++b2) {
    const std::size_t first = b2 * 256, count = std::min<std::size_t>(256, nb - first);
    float a2 = 0.0f;
    for (std::size_t i = 0; i < count; ++i) {
      v[i] = q.absmax[first + i] - q.offset;
      a2 = std::max(a2, std::fabs(v[i]));
    }
    const BlockConstants k = absmaxConstants(a2);
    a2 = k.stored;
    q.absmax2[b2] = a2;
    const float inv = k.inv;
    for (std::size_t i = 0; i < count; ++i) {
      const float s = count == 256 ? v[i] * inv : v[i] / a2;  // partial block: division, as the reference
      const std::uint8_t code = cb.codeOf(s);
      q.qabsmax[first + i] = code;
      q.absmaxDq[first + i] = cb.values[code] * a2 + q.offset;
    }
  }
}

Status quantizeTable4(const float* x, std::size_t n, const FormatDesc& d, std::size_t bs, QuantizedTensor& q) {
  const Codebook& cb = *d.codebook;
  const std::size_t full = n / bs, rem = n % bs;
  bool remap = false;  // FP4: the sorted order is not the code order
  for (std::size_t i = 0; i < cb.sortedToCode.size(); ++i) remap = remap || cb.sortedToCode[i] != i;
  bool allFinite = true;
  if (full) {
    std::vector<std::uint8_t> flags(full, 1);
    parallelFor(full, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
      flags[b0] = quantize4BitBlocks(x, q.codes.data(), q.packed.data(), q.absmax.data(), b0, b1, bs, cb.mids.data(),
                                     cb.mapLo, cb.mapHi, remap)
                      ? 1
                      : 0;
    });
    for (std::uint8_t f : flags) allFinite = allFinite && f;
  }
  if (!allFinite) return nonFiniteError(x, firstNonFinite(x, n));
  if (rem) {
    const float* xb = x + full * bs;
    const std::size_t i0 = firstNonFinite(xb, rem);
    if (i0 < rem) return nonFiniteError(x, full * bs + i0);
    const float a = absmaxConstants(blockStats(BlockStat::Absmax, xb, rem).s0).stored;
    q.absmax[full] = a;
    for (std::size_t i = 0; i < rem; ++i) q.codes[full * bs + i] = cb.codeOf(xb[i] / a);  // partial block: x / absmax
  }
  // Pack what the block loop did not: the partial block, and the padded last nibble.
  for (std::size_t j = full * bs / 2; j < q.packed.size(); ++j) {
    const std::uint8_t hi = q.codes[2 * j], lo = 2 * j + 1 < n ? q.codes[2 * j + 1] : cb.zeroCode;
    q.packed[j] = std::uint8_t(hi << 4 | lo);
  }
  if (q.doubleQuant) doubleQuantize(q);
  return {};
}

// out[i] = table[code] * scale, from the codes when q holds n of them, else from the packed nibbles.
void dequantizeTable4(const QuantizedTensor& q, const FormatDesc& d, const float* scales, float* out) {
  const std::size_t n = q.n, bs = std::size_t(q.blocksize), nb = (n + bs - 1) / bs;
  const float* table = d.values->data();
  const bool fromCodes = q.codes.size() == n;
  parallelFor(nb, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
    if (fromCodes) dequantize4BitBlocks(q.codes.data(), scales, out, b0, b1, bs, n, table);
    else dequantizePackedBlocks(q.packed.data(), scales, out, b0, b1, bs, n, table);
  });
}

// The per-block entries of the table (the GPU driver forms its constants with them; the loops
// above inline the same rule). Codes and values come from quantizeTable4 / dequantizeTable4.
Status table4Constants(BlockStats st, std::size_t, BlockConstants& out) {
  out = absmaxConstants(st.s0);
  return {};
}
BlockConstants table4DecodeConstants(float stored, float) {
  BlockConstants k;
  k.stored = k.step = stored;
  return k;
}
std::uint8_t table4PadNf4(const BlockConstants&) { return codebookFor(TensorFormat::NF4).zeroCode; }
std::uint8_t table4PadFp4(const BlockConstants&) { return codebookFor(TensorFormat::FP4).zeroCode; }

}  // namespace

// Streaming quantize-tensor double-quantizes once every block's absmax is known (blockwise.hpp).
void doubleQuantizeAbsmax(QuantizedTensor& q) { doubleQuantize(q); }

const std::vector<float>& nf4Table() {
  static const std::vector<float> t(kNf4.begin(), kNf4.end());
  return t;
}

const std::vector<float>& fp4Table() {
  static const std::vector<float> t = [] {
    std::vector<float> v;
    for (float x : kFp4Times12) v.push_back(x / 12.0f);
    return v;
  }();
  return t;
}

const std::vector<float>& dynamicMap() {
  static const std::vector<float> t(kDynamicMap.begin(), kDynamicMap.end());
  return t;
}

const Codebook& dynamicMapCodebook() {
  static const Codebook cb = makeCodebook(dynamicMap());
  return cb;
}

float doubleQuantOffset(const float* absmax, std::size_t blocks) {
  return blocks ? pairwiseSum(absmax, blocks) / float(blocks) : 0.0f;
}

BlockConstants absmaxConstants(float absmax) {
  BlockConstants k;
  k.stored = k.step = std::max(absmax, kAbsmaxFloor);
  k.inv = 1.0f / k.stored;
  return k;
}

std::vector<FormatDesc> bnb4Formats() {
  FormatDesc nf4;
  nf4.format = TensorFormat::NF4;
  nf4.name = "nf4";
  nf4.family = nf4.familyLabel = "bnb4";
  nf4.description = "bitsandbytes NormalFloat4: 16 levels at normal quantiles, absmax per block";
  nf4.codeBits = 4;
  nf4.doubleQuant = true;
  nf4.gpuKernel = GpuKernel::Codebook4;
  nf4.codebook = &codebookFor(TensorFormat::NF4);
  nf4.values = &nf4Table();
  nf4.constants = table4Constants;
  nf4.decodeConstants = table4DecodeConstants;
  nf4.padCode = table4PadNf4;
  nf4.quantizeTensor = quantizeTable4;
  nf4.dequantizeTensor = dequantizeTable4;
  FormatDesc fp4 = nf4;
  fp4.format = TensorFormat::FP4;
  fp4.name = "fp4";
  fp4.description = "bitsandbytes FP4 (E2M1 without inf/NaN, max 6 scaled to 1), absmax per block";
  fp4.codebook = &codebookFor(TensorFormat::FP4);
  fp4.values = &fp4Table();
  fp4.padCode = table4PadFp4;
  return {nf4, fp4};
}

}  // namespace qviz::core
