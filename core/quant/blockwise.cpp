// Block-wise weight quantizers (contracts: docs/numeric-contracts.md). NF4/FP4 follow bitsandbytes
// step by step; the hot loop is branch-free (a code is the count of midpoints below the scaled
// value) so it vectorises. Every other format is a plain per-block loop: clarity over speed.
#include "quant/blockwise.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>

#include "util/parallel.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace qviz::core {
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

bool isFourBitTable(TensorFormat f) { return f == TensorFormat::NF4 || f == TensorFormat::FP4; }
bool isGgml(TensorFormat f) { return f == TensorFormat::Q8_0 || f == TensorFormat::Q4_0; }
std::size_t effectiveBlocksize(const BlockwiseSettings& s) { return isGgml(s.format) ? 32 : std::size_t(s.blocksize); }

// Sorted code values with their midpoints. A value's code is the number of midpoints strictly
// below it (a value on a midpoint goes to the lower code), mapped back to the table's code order.
struct Codebook {
  std::vector<float> values;             // index = code
  std::vector<float> mids;               // midpoints of adjacent sorted values
  std::vector<std::uint8_t> sortedToCode;
  std::uint32_t mapLo = 0, mapHi = 0;    // 16-entry tables: sortedToCode as nibbles, for the vector loop
  std::uint8_t zeroCode = 0;             // code of 0.0 (odd-length padding)

  std::uint8_t codeOf(float s) const {
    const std::size_t idx = std::size_t(std::lower_bound(mids.begin(), mids.end(), s) - mids.begin());
    return sortedToCode[idx];
  }
};

Codebook makeCodebook(const std::vector<float>& table) {
  Codebook cb;
  cb.values = table;
  std::vector<std::uint8_t> order(table.size());
  std::iota(order.begin(), order.end(), std::uint8_t(0));
  // Stable: FP4's +0 (code 0) sorts before -0 (code 8), as in the reference.
  std::stable_sort(order.begin(), order.end(), [&](std::uint8_t a, std::uint8_t b) { return table[a] < table[b]; });
  cb.sortedToCode = order;
  for (std::size_t i = 0; i + 1 < order.size(); ++i)
    cb.mids.push_back(float((double(table[order[i]]) + double(table[order[i + 1]])) * 0.5));
  if (table.size() == 16)
    for (std::uint32_t i = 0; i < 8; ++i) {
      cb.mapLo |= std::uint32_t(order[i]) << (4 * i);
      cb.mapHi |= std::uint32_t(order[i + 8]) << (4 * i);
    }
  cb.zeroCode = cb.codeOf(0.0f);
  return cb;
}

const Codebook& codebookFor(TensorFormat f) {
  static const Codebook nf4 = makeCodebook(nf4Table());
  static const Codebook fp4 = makeCodebook(fp4Table());
  return f == TensorFormat::NF4 ? nf4 : fp4;
}

const Codebook& dynamicCodebook() {
  static const Codebook cb = makeCodebook(dynamicMap());
  return cb;
}

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

std::size_t firstNonFinite(const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return i;
  return n;
}

Error nonFiniteError(const float* x, std::size_t i) {
  return fail("value " + std::to_string(i) + " (flat index) is " + (std::isnan(x[i]) ? "NaN" : "Inf") +
              "; only finite values can be quantized");
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

// ---- FP8 (OCP E4M3 / E5M2) --------------------------------------------------------------------

struct Fp8Spec {
  int mbits;
  int ebits;
  int bias;
  float maxValue;
};
constexpr Fp8Spec kE4M3{3, 4, 7, 448.0f};
constexpr Fp8Spec kE5M2{2, 5, 15, 57344.0f};

// Rounds y to the nearest representable value (ties to even mantissa), saturating at ±max.
std::uint8_t fp8Encode(float y, const Fp8Spec& f) {
  const std::uint8_t sign = std::signbit(y) ? 0x80 : 0x00;
  const float a = std::fabs(y);
  const int emin = 1 - f.bias;
  int e = 0;
  std::frexp(a, &e);
  int ex = std::max(e - 1, emin);
  // a * 2^(mbits - ex) is exact (a power-of-two scaling); nearbyint rounds half to even.
  auto m = static_cast<std::uint32_t>(std::nearbyint(std::ldexp(a, f.mbits - ex)));
  if (m == (2u << f.mbits)) {  // rounded up into the next binade
    m = 1u << f.mbits;
    ++ex;
  }
  const int maxField = f.ebits == 4 ? 15 : 30;  // E4M3 uses field 15 (mantissa 111 is NaN); E5M2 reserves 31
  const std::uint32_t maxMant = f.ebits == 4 ? 6u : 3u;
  const bool subnormal = m < (1u << f.mbits);
  const int field = subnormal ? 0 : ex + f.bias;
  const std::uint32_t mant = subnormal ? m : m - (1u << f.mbits);
  if (field > maxField || (field == maxField && mant > maxMant))
    return std::uint8_t(sign | (maxField << f.mbits) | maxMant);
  return std::uint8_t(sign | (std::uint32_t(field) << f.mbits) | mant);
}

float fp8Decode(std::uint8_t code, const Fp8Spec& f) {
  const bool neg = code & 0x80;
  const int field = (code >> f.mbits) & ((1 << f.ebits) - 1);
  const int mant = code & ((1 << f.mbits) - 1);
  float v;
  if (f.ebits == 4 && field == 15 && mant == 7) v = std::numeric_limits<float>::quiet_NaN();
  else if (f.ebits == 5 && field == 31) v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else if (field == 0) v = std::ldexp(float(mant), 1 - f.bias - f.mbits);
  else v = std::ldexp(float((1 << f.mbits) | mant), field - f.bias - f.mbits);
  return neg ? -v : v;
}

const std::array<float, 256>& fp8Table(TensorFormat f) {
  static const auto make = [](const Fp8Spec& s) {
    std::array<float, 256> t{};
    for (int c = 0; c < 256; ++c) t[std::size_t(c)] = fp8Decode(std::uint8_t(c), s);
    return t;
  };
  static const std::array<float, 256> e4m3 = make(kE4M3), e5m2 = make(kE5M2);
  return f == TensorFormat::FP8E4M3 ? e4m3 : e5m2;
}

// ---- per-format block quantizers (one block: x[0..count), block index b) ----------------------

float blockAbsmax(const float* x, std::size_t count) {
  float a = 0.0f;
  for (std::size_t i = 0; i < count; ++i) a = std::max(a, std::fabs(x[i]));
  return a;
}

int symmetricMax(TensorFormat f) { return f == TensorFormat::Int8 ? 127 : f == TensorFormat::Int4 ? 7 : 1; }
int codeOffset(TensorFormat f) { return 1 << (formatCodeBits(f) - 1); }

// Symmetric intN: scale = absmax / (2^(N-1)-1), q = roundEven(x * (1/scale)), code = q + 2^(N-1).
void quantizeSymmetric(const float* x, std::size_t count, TensorFormat f, float& absmaxOut, std::uint8_t* codes) {
  const int qmax = symmetricMax(f), off = codeOffset(f);
  const float a = blockAbsmax(x, count);
  const float scale = a / float(qmax);
  const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  absmaxOut = a;
  for (std::size_t i = 0; i < count; ++i) {
    const float q = std::clamp(std::nearbyint(x[i] * inv), float(-qmax), float(qmax));
    codes[i] = std::uint8_t(int(q) + off);
  }
}

// Asymmetric uintN (PyTorch's min-max observer): the range is widened to include 0 so that 0 is
// exact; scale = (hi - lo) / (2^N - 1), zero point = roundEven(-lo / scale) in [0, 2^N - 1].
void quantizeAsymmetric(const float* x, std::size_t count, TensorFormat f, float& scaleOut, float& zpOut,
                        std::uint8_t* codes) {
  const float levels = float((1 << formatCodeBits(f)) - 1);
  float lo = 0.0f, hi = 0.0f;
  for (std::size_t i = 0; i < count; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  // (hi - lo) in double: it may exceed float32's range when hi and lo are both huge.
  const float scale = float((double(hi) - double(lo)) / double(levels));
  const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  const float zp = std::clamp(std::nearbyint(-lo * inv), 0.0f, levels);
  scaleOut = scale;
  zpOut = zp;
  for (std::size_t i = 0; i < count; ++i) codes[i] = std::uint8_t(std::clamp(std::nearbyint(x[i] * inv) + zp, 0.0f, levels));
}

// FP8 with a per-block scale mapping the block absmax onto the format's largest value.
void quantizeFp8(const float* x, std::size_t count, TensorFormat f, float& scaleOut, std::uint8_t* codes) {
  const Fp8Spec& spec = f == TensorFormat::FP8E4M3 ? kE4M3 : kE5M2;
  const float scale = blockAbsmax(x, count) / spec.maxValue;
  const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  scaleOut = scale;
  for (std::size_t i = 0; i < count; ++i) codes[i] = fp8Encode(x[i] * inv, spec);
}

// ggml quantize_row_q8_0_reference: d = amax/127, id = d ? 1/d : 0 computed from the float32 d
// (before d is rounded to fp16 for storage), q = roundf(x * id) (half away from zero); the stored
// scale is the fp16 d. A partial last block behaves as if zero-padded (zeros change neither amax
// nor the codes of the other values).
Status quantizeQ8_0(const float* x, std::size_t count, std::size_t block, float& scaleOut, std::uint8_t* codes);
// ggml quantize_row_q4_0_reference: m = the first value of largest magnitude, d = m / -8,
// id = d ? 1/d : 0 (float32 d), q = min(15, (int8_t)(x * id + 8.5f)); stored scale: fp16 d.
Status quantizeQ4_0(const float* x, std::size_t count, std::size_t block, float& scaleOut, std::uint8_t* codes);

float halfRound(float v);  // float32 -> fp16 (round to nearest even) -> float32

Error halfOverflow(const char* fmt, std::size_t block, float d) {
  return fail(std::string(fmt) + " stores its block scale as fp16: block " + std::to_string(block) + " needs scale " +
              std::to_string(d) + ", beyond fp16's 65504 (values too large for this format)");
}

Status quantizeQ8_0(const float* x, std::size_t count, std::size_t block, float& scaleOut, std::uint8_t* codes) {
  const float amax = blockAbsmax(x, count);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const float dh = halfRound(d);
  if (!std::isfinite(dh)) return halfOverflow("q8_0", block, d);
  scaleOut = dh;
  for (std::size_t i = 0; i < count; ++i) codes[i] = std::uint8_t(int(std::round(x[i] * id)) + 128);
  return {};
}

Status quantizeQ4_0(const float* x, std::size_t count, std::size_t block, float& scaleOut, std::uint8_t* codes) {
  float amax = 0.0f, m = 0.0f;
  for (std::size_t i = 0; i < count; ++i)
    if (amax < std::fabs(x[i])) {
      amax = std::fabs(x[i]);
      m = x[i];
    }
  const float d = m / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const float dh = halfRound(d);
  if (!std::isfinite(dh)) return halfOverflow("q4_0", block, d);
  scaleOut = dh;
  for (std::size_t i = 0; i < count; ++i) {
    const float v = x[i] * id + 8.5f;  // two roundings, as in ggml (no FMA: -ffp-contract=off)
    codes[i] = std::uint8_t(std::min(15, int(static_cast<std::int8_t>(v))));
  }
  return {};
}

float halfRound(float v) {
  // Local RNE conversion (same as tensor/tensor.cpp's floatToHalf, kept here to keep quant/
  // independent of tensor/).
  const std::uint32_t xb = std::bit_cast<std::uint32_t>(v);
  const std::uint32_t sign = xb & 0x80000000u, absx = xb & 0x7fffffffu;
  if (absx >= 0x477ff000u) return std::bit_cast<float>(sign | 0x7f800000u);
  if (absx < 0x38800000u) {
    // fp16 subnormals are multiples of 2^-24: round |v| * 2^24 to nearest even.
    const float q = std::nearbyint(std::ldexp(std::bit_cast<float>(absx), 24));
    return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(std::ldexp(q, -24)));
  }
  std::uint32_t r = absx >> 13;
  const std::uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return std::bit_cast<float>(sign | (r << 13));
}

// Decoded value of one code given its block's constants (the non-table formats).
inline float decodeOther(TensorFormat f, std::uint8_t code, float scale, float zp, const float* fp8) {
  switch (f) {
    case TensorFormat::Int8:
    case TensorFormat::Int4:
    case TensorFormat::Int2: return float(int(code) - codeOffset(f)) * scale;
    case TensorFormat::UInt8:
    case TensorFormat::UInt4: return (float(code) - zp) * scale;
    case TensorFormat::FP8E4M3:
    case TensorFormat::FP8E5M2: return fp8[code] * scale;
    case TensorFormat::Q8_0: return float(int(code) - 128) * scale;
    case TensorFormat::Q4_0: return float(int(code) - 8) * scale;
    default: return 0.0f;
  }
}

void doubleQuantize(QuantizedTensor& q) {
  const std::size_t nb = q.absmax.size();
  const Codebook& cb = dynamicCodebook();
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
    a2 = std::max(a2, kAbsmaxFloor);
    q.absmax2[b2] = a2;
    const float inv = 1.0f / a2;
    for (std::size_t i = 0; i < count; ++i) {
      const float s = count == 256 ? v[i] * inv : v[i] / a2;  // partial block: division, as the reference
      const std::uint8_t code = cb.codeOf(s);
      q.qabsmax[first + i] = code;
      q.absmaxDq[first + i] = cb.values[code] * a2 + q.offset;
    }
  }
}

Status quantizeTable4(const float* x, std::size_t n, const BlockwiseSettings& s, QuantizedTensor& q) {
  const Codebook& cb = codebookFor(s.format);
  const std::size_t bs = std::size_t(s.blocksize), full = n / bs, rem = n % bs;
  const bool remap = s.format == TensorFormat::FP4;
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
    const float a = std::max(blockAbsmax(xb, rem), kAbsmaxFloor);
    q.absmax[full] = a;
    for (std::size_t i = 0; i < rem; ++i) q.codes[full * bs + i] = cb.codeOf(xb[i] / a);  // partial block: x / absmax
  }
  // Pack what the block loop did not: the partial block, and the padded last nibble.
  for (std::size_t j = full * bs / 2; j < q.packed.size(); ++j) {
    const std::uint8_t hi = q.codes[2 * j], lo = 2 * j + 1 < n ? q.codes[2 * j + 1] : cb.zeroCode;
    q.packed[j] = std::uint8_t(hi << 4 | lo);
  }
  return {};
}

Status quantizeOther(const float* x, std::size_t n, const BlockwiseSettings& s, std::size_t bs, QuantizedTensor& q) {
  if (const std::size_t i = firstNonFinite(x, n); i < n) return nonFiniteError(x, i);
  const std::size_t nb = q.absmax.size();
  std::vector<Status> status(nb);
  parallelFor(nb, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t first = b * bs, count = std::min(bs, n - first);
      const float* xb = x + first;
      std::uint8_t* cb = q.codes.data() + first;
      switch (s.format) {
        case TensorFormat::Int8:
        case TensorFormat::Int4:
        case TensorFormat::Int2: quantizeSymmetric(xb, count, s.format, q.absmax[b], cb); break;
        case TensorFormat::UInt8:
        case TensorFormat::UInt4: quantizeAsymmetric(xb, count, s.format, q.absmax[b], q.zeroPoint[b], cb); break;
        case TensorFormat::FP8E4M3:
        case TensorFormat::FP8E5M2: quantizeFp8(xb, count, s.format, q.absmax[b], cb); break;
        case TensorFormat::Q8_0: status[b] = quantizeQ8_0(xb, count, b, q.absmax[b], cb); break;
        case TensorFormat::Q4_0: status[b] = quantizeQ4_0(xb, count, b, q.absmax[b], cb); break;
        default: break;
      }
    }
  });
  for (const Status& st : status)
    if (!st) return st;
  if (formatCodeBits(s.format) == 4) {
    // Odd length: the padded value is 0.0, coded with the last block's constants: int4 and q4_0
    // give 8 (q4_0: trunc(0 * id + 8.5)), uint4 its zero point.
    std::uint8_t zeroCode = 8;
    if (s.format == TensorFormat::UInt4 && !q.zeroPoint.empty()) zeroCode = std::uint8_t(q.zeroPoint.back());
    for (std::size_t j = 0; j < q.packed.size(); ++j) {
      const std::uint8_t hi = q.codes[2 * j], lo = 2 * j + 1 < n ? q.codes[2 * j + 1] : zeroCode;
      q.packed[j] = std::uint8_t(hi << 4 | lo);
    }
  }
  return {};
}

}  // namespace

const char* tensorFormatName(TensorFormat f) {
  switch (f) {
    case TensorFormat::NF4: return "nf4";
    case TensorFormat::FP4: return "fp4";
    case TensorFormat::Int8: return "int8";
    case TensorFormat::Int4: return "int4";
    case TensorFormat::Int2: return "int2";
    case TensorFormat::UInt8: return "uint8";
    case TensorFormat::UInt4: return "uint4";
    case TensorFormat::FP8E4M3: return "fp8-e4m3";
    case TensorFormat::FP8E5M2: return "fp8-e5m2";
    case TensorFormat::Q8_0: return "q8_0";
    case TensorFormat::Q4_0: return "q4_0";
  }
  return "?";
}

bool parseTensorFormat(const std::string& s, TensorFormat& out) {
  for (int i = 0; i <= int(TensorFormat::Q4_0); ++i)
    if (s == tensorFormatName(TensorFormat(i))) {
      out = TensorFormat(i);
      return true;
    }
  return false;
}

int formatCodeBits(TensorFormat f) {
  switch (f) {
    case TensorFormat::NF4:
    case TensorFormat::FP4:
    case TensorFormat::Int4:
    case TensorFormat::UInt4:
    case TensorFormat::Q4_0: return 4;
    case TensorFormat::Int2: return 2;
    default: return 8;
  }
}

Status validateBlockwise(const BlockwiseSettings& s) {
  if (int(s.format) > int(TensorFormat::Q4_0)) return fail("unknown tensor format");
  if (!isGgml(s.format)) {
    const int bs = s.blocksize;
    if (bs < 32 || bs > 4096 || (bs & (bs - 1)) != 0)
      return fail("blocksize must be a power of two from 32 to 4096, got " + std::to_string(bs));
  }
  if (s.doubleQuant && !isFourBitTable(s.format))
    return fail(std::string("double quantization applies to nf4 and fp4 only, not ") + tensorFormatName(s.format));
  return {};
}

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

const std::vector<float>& fp8Values(TensorFormat f) {
  static const std::vector<float> e4m3(fp8Table(TensorFormat::FP8E4M3).begin(), fp8Table(TensorFormat::FP8E4M3).end());
  static const std::vector<float> e5m2(fp8Table(TensorFormat::FP8E5M2).begin(), fp8Table(TensorFormat::FP8E5M2).end());
  return f == TensorFormat::FP8E5M2 ? e5m2 : e4m3;
}

std::uint8_t fp8EncodeValue(float y, TensorFormat f) { return fp8Encode(y, f == TensorFormat::FP8E5M2 ? kE5M2 : kE4M3); }

float roundToHalf(float v) { return halfRound(v); }

std::size_t blockCount(const BlockwiseSettings& s, std::size_t n) {
  const std::size_t bs = effectiveBlocksize(s);
  return (n + bs - 1) / bs;
}

Status quantizeBlockwiseInto(const float* x, std::size_t n, const BlockwiseSettings& s, QuantizedTensor& q) {
  if (auto st = validateBlockwise(s); !st) return st;
  const std::size_t bs = effectiveBlocksize(s);
  const std::size_t nb = (n + bs - 1) / bs;
  q.format = s.format;
  q.blocksize = int(bs);
  q.doubleQuant = s.doubleQuant;
  q.n = n;
  q.codes.resize(n);
  q.packed.resize(formatCodeBits(s.format) == 4 ? (n + 1) / 2 : 0);
  q.absmax.resize(nb);
  q.zeroPoint.resize(s.format == TensorFormat::UInt8 || s.format == TensorFormat::UInt4 ? nb : 0);
  q.offset = 0.0f;
  q.qabsmax.clear();
  q.absmax2.clear();
  q.absmaxDq.clear();
  if (isFourBitTable(s.format)) {
    if (auto st = quantizeTable4(x, n, s, q); !st) return st;
    if (s.doubleQuant) doubleQuantize(q);
    return {};
  }
  return quantizeOther(x, n, s, bs, q);
}

Status quantizeBlockwiseRange(const float* x, std::size_t count, std::size_t first, const BlockwiseSettings& s,
                              QuantizedTensor& q) {
  BlockwiseSettings single = s;
  single.doubleQuant = false;
  if (auto st = quantizeBlockwiseInto(x, count, single, q); st || first == 0) return st;
  // The same refusal, named in the whole tensor: the first non-finite value, else (ggml) the first
  // block whose fp16 scale overflows.
  if (const std::size_t i = firstNonFinite(x, count); i < count) {
    return fail("value " + std::to_string(first + i) + " (flat index) is " + (std::isnan(x[i]) ? "NaN" : "Inf") +
                "; only finite values can be quantized");
  }
  const std::size_t bs = effectiveBlocksize(s);
  for (std::size_t b = 0; b * bs < count; ++b) {
    const float* xb = x + b * bs;
    const std::size_t m = std::min(bs, count - b * bs);
    float scale = 0.0f;
    std::vector<std::uint8_t> codes(m);
    Status st;
    if (s.format == TensorFormat::Q8_0) st = quantizeQ8_0(xb, m, first / bs + b, scale, codes.data());
    else if (s.format == TensorFormat::Q4_0) st = quantizeQ4_0(xb, m, first / bs + b, scale, codes.data());
    if (!st) return st;
  }
  return quantizeBlockwiseInto(x, count, single, q);  // (not reached: the failure was one of those)
}

void doubleQuantizeAbsmax(QuantizedTensor& q) { doubleQuantize(q); }

Result<QuantizedTensor> quantizeBlockwise(const float* x, std::size_t n, const BlockwiseSettings& s) {
  QuantizedTensor q;
  if (auto st = quantizeBlockwiseInto(x, n, s, q); !st) return fail(st.error());
  return q;
}

CodeUse codeUse(const QuantizedTensor& q) {
  CodeUse u;
  const int codeBits = formatCodeBits(q.format);
  u.counts.assign(std::size_t(1) << codeBits, 0);
  const std::size_t n = q.n;
  if (q.codes.size() == n) {
    for (std::uint8_t c : q.codes) ++u.counts[c & (u.counts.size() - 1)];
  } else if (codeBits == 4 && q.packed.size() >= (n + 1) / 2) {
    for (std::size_t i = 0; i < n; ++i) ++u.counts[std::size_t(i % 2 ? q.packed[i / 2] & 0xF : q.packed[i / 2] >> 4)];
  } else {
    return u;  // malformed: nothing counted
  }
  u.total = n;
  return u;
}

void dequantizeBlockwise(const QuantizedTensor& q, float* out) {
  const std::size_t n = q.n, bs = std::size_t(q.blocksize);
  if (n == 0 || bs == 0) return;
  const std::size_t nb = (n + bs - 1) / bs;
  const bool fromCodes = q.codes.size() == n;
  // Without n codes only 4-bit packed bytes can be read; anything else is a malformed tensor:
  // zeros rather than reading past the buffers.
  const bool packedOk = formatCodeBits(q.format) == 4 && q.packed.size() >= (n + 1) / 2;
  const bool scalesOk = q.absmax.size() >= nb && (!q.doubleQuant || q.absmaxDq.size() >= nb || q.absmaxDq.empty());
  if ((!fromCodes && !packedOk) || !scalesOk) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  if (isFourBitTable(q.format)) {
    const std::vector<float>& scales = q.doubleQuant && q.absmaxDq.size() == nb ? q.absmaxDq : q.absmax;
    const float* table = q.format == TensorFormat::NF4 ? nf4Table().data() : fp4Table().data();
    parallelFor(nb, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
      if (fromCodes) dequantize4BitBlocks(q.codes.data(), scales.data(), out, b0, b1, bs, n, table);
      else dequantizePackedBlocks(q.packed.data(), scales.data(), out, b0, b1, bs, n, table);
    });
    return;
  }
  const float* fp8 = fp8Table(q.format == TensorFormat::FP8E5M2 ? TensorFormat::FP8E5M2 : TensorFormat::FP8E4M3).data();
  parallelFor(nb, std::max<std::size_t>(1, 65536 / bs), [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      const float scale = q.absmax[b];
      const float zp = q.zeroPoint.size() == nb ? q.zeroPoint[b] : 0.0f;
      const float step = q.format == TensorFormat::Int8 || q.format == TensorFormat::Int4 || q.format == TensorFormat::Int2
                             ? scale / float(symmetricMax(q.format))  // int formats store the absmax
                             : scale;
      const std::size_t end = std::min(n, (b + 1) * bs);
      for (std::size_t i = b * bs; i < end; ++i) {
        const std::uint8_t code = fromCodes ? q.codes[i] : std::uint8_t((i & 1) ? (q.packed[i / 2] & 15u) : (q.packed[i / 2] >> 4));
        out[i] = decodeOther(q.format, code, step, zp, fp8);
      }
    }
  });
}

float doubleQuantOffset(const float* absmax, std::size_t blocks) {
  return blocks ? pairwiseSum(absmax, blocks) / float(blocks) : 0.0f;
}

double bitsPerParam(const BlockwiseSettings& s, std::size_t n) {
  const double codeBits = formatCodeBits(s.format);
  const double bs = double(effectiveBlocksize(s));
  double perBlock = 32.0;  // one float32 absmax / scale
  if (s.format == TensorFormat::UInt8 || s.format == TensorFormat::UInt4) perBlock = 64.0;  // scale + zero point
  if (isGgml(s.format)) perBlock = 16.0;                                                     // fp16 d
  const bool dq = s.doubleQuant && isFourBitTable(s.format);
  if (dq) perBlock = 8.0;  // one 8-bit code per block, plus absmax2 per 256 blocks and the offset
  if (n == 0) return codeBits + perBlock / bs + (dq ? 32.0 / (bs * 256.0) : 0.0);  // large-n limit
  const double blocks = std::ceil(double(n) / bs);
  double bits = std::ceil(double(n) * codeBits / 8.0) * 8.0 + blocks * perBlock;
  if (dq) bits += std::ceil(blocks / 256.0) * 32.0 + 32.0;
  return bits / double(n);
}

FormatStats formatStats(const float* x, const float* dequant, std::size_t n, const BlockwiseSettings& s) {
  FormatStats st;
  st.bitsPerParam = bitsPerParam(s, n);
  if (n == 0) return st;
  double sumErr = 0.0, sumSig = 0.0, maxErr = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = double(dequant[i]) - double(x[i]);
    sumErr += e * e;
    sumSig += double(x[i]) * double(x[i]);
    maxErr = std::max(maxErr, std::fabs(e));
  }
  st.mse = sumErr / double(n);
  st.rmse = std::sqrt(st.mse);
  st.maxAbsError = maxErr;
  st.sqnrDb = sumErr == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(sumSig / sumErr);
  return st;
}

}  // namespace qviz::core
