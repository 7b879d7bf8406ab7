// Uniform image quantizer (CPU reference). Deterministic modes are evaluated once per possible
// sample value into lookup tables built with the exact per-sample formula, so the fast path and
// the formula cannot disagree; stochastic and ordered modes evaluate the formula per sample.
#include "quant/uniform.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "util/parallel.hpp"

namespace qviz::core {

const char* roundingName(Rounding r) {
  switch (r) {
    case Rounding::Nearest: return "nearest";
    case Rounding::Truncate: return "truncate";
    case Rounding::Stochastic: return "stochastic";
    case Rounding::Seed: return "seed";
    case Rounding::User: return "user";
    case Rounding::Drop: return "drop";
  }
  return "?";
}
const char* ditherName(Dither d) {
  switch (d) {
    case Dither::None: return "none";
    case Dither::Ordered: return "ordered";
    case Dither::FloydSteinberg: return "floyd-steinberg";
  }
  return "?";
}
bool parseRounding(const std::string& s, Rounding& out) {
  for (Rounding r : {Rounding::Nearest, Rounding::Truncate, Rounding::Stochastic, Rounding::Seed, Rounding::User,
                     Rounding::Drop})
    if (s == roundingName(r)) return out = r, true;
  return false;
}
bool parseDither(const std::string& s, Dither& out) {
  for (Dither d : {Dither::None, Dither::Ordered, Dither::FloydSteinberg})
    if (s == ditherName(d)) return out = d, true;
  return false;
}

UniformConstants uniformConstants(int bits, std::uint32_t vmax) {
  UniformConstants k;
  k.levels = 1u << bits;
  k.vmax = vmax;
  const double l1 = double(k.levels - 1);
  k.scale = static_cast<float>(l1 / double(vmax));
  k.inv = static_cast<float>(double(vmax) / l1);
  k.seedShift = vmax > 255 ? 16 : 8;
  k.dropShift = std::uint32_t(bits) < k.seedShift ? k.seedShift - std::uint32_t(bits) : 0u;
  return k;
}

namespace {
inline std::uint32_t lowbias32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
constexpr std::uint8_t kBayer8[8][8] = {
    {0, 32, 8, 40, 2, 34, 10, 42},  {48, 16, 56, 24, 50, 18, 58, 26},
    {12, 44, 4, 36, 14, 46, 6, 38}, {60, 28, 52, 20, 62, 30, 54, 22},
    {3, 35, 11, 43, 1, 33, 9, 41},  {51, 19, 59, 27, 49, 17, 57, 25},
    {15, 47, 7, 39, 13, 45, 5, 37}, {63, 31, 55, 23, 61, 29, 53, 21}};
inline std::uint32_t clampCode(float c, std::uint32_t levels) {
  // c is an integral float; negative zero and values above L-1 are clamped.
  if (!(c > 0.0f)) return 0;
  const std::uint32_t code = static_cast<std::uint32_t>(c);
  return std::min(code, levels - 1);
}
}  // namespace

std::uint32_t stochasticHash(std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t seed) {
  return lowbias32(x ^ lowbias32(y ^ lowbias32(c ^ lowbias32(seed + 0x9e3779b9u))));
}
float stochasticOffset(std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t seed) {
  return static_cast<float>(stochasticHash(x, y, c, seed) >> 8) * (1.0f / 16777216.0f);
}
float bayerOffset(std::uint32_t x, std::uint32_t y) {
  return (static_cast<float>(kBayer8[y & 7][x & 7]) + 0.5f) * (1.0f / 64.0f);
}

std::uint32_t quantizeCode(std::uint32_t v, const UniformConstants& k, Rounding r, Dither d,
                           std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t seed) {
  if (r == Rounding::Seed) return (v * (k.levels - 1)) >> k.seedShift;
  if (r == Rounding::Drop) return v >> k.dropShift;  // v <= vmax = 2^depth - 1, so code <= L-1
  const float s = static_cast<float>(v) * k.scale;
  if (d == Dither::Ordered) return clampCode(std::floor(s + bayerOffset(x, y)), k.levels);
  switch (r) {
    case Rounding::Nearest: return clampCode(std::nearbyint(s), k.levels);
    case Rounding::Truncate: return clampCode(std::floor(s), k.levels);
    case Rounding::Stochastic: return clampCode(std::floor(s + stochasticOffset(x, y, c, seed)), k.levels);
    case Rounding::Seed:
    case Rounding::Drop:
    case Rounding::User: break;  // the user shader has no CPU version: quantizeUniform refuses it
  }
  return 0;
}

std::uint32_t dequantizeCode(std::uint32_t code, const UniformConstants& k, Rounding r) {
  if (r == Rounding::Seed) return (code * k.vmax) / (k.levels - 1);
  const float v = std::nearbyint(static_cast<float>(code) * k.inv);
  return v <= 0.0f ? 0u : std::min(static_cast<std::uint32_t>(v), k.vmax);
}

Status validateUniform(const Image& src, const UniformSettings& s) {
  if (src.empty()) return fail("the image is empty");
  if (src.type == SampleType::F32) return fail("the uniform quantizer needs an 8- or 16-bit image");
  const int maxBits = src.bitDepth();
  auto check = [&](int b, const char* what) -> Status {
    if (b < 1 || b > maxBits)
      return fail(std::string(what) + " must be between 1 and " + std::to_string(maxBits) + " for a " +
                  std::to_string(maxBits) + "-bit image (got " + std::to_string(b) + ")");
    return {};
  };
  if (auto st = check(s.bits, "bits"); !st) return st;
  for (int b : s.channelBits)
    if (b != 0)
      if (auto st = check(b, "per-channel bits"); !st) return st;
  if (s.dither != Dither::None && s.rounding != Rounding::Nearest)
    return fail(std::string("dithering replaces the rounding step; use it with nearest rounding (got ") +
                roundingName(s.rounding) + ")");
  return {};
}

Image quantizerReference(const Image& src, const UniformSettings& s) {
  return s.gray ? toGray(src) : src;
}

namespace {
template <class T>
void floydSteinberg(const std::vector<T>& in, std::vector<T>& out, int w, int h, int ch, int colorCh,
                    const std::array<UniformConstants, 3>& ks) {
  // Classic raster-order error diffusion in float, per colour channel (7/16, 3/16, 5/16, 1/16).
  std::vector<float> cur(std::size_t(w) + 2), next(std::size_t(w) + 2);
  for (int c = 0; c < colorCh; ++c) {
    const UniformConstants& k = ks[std::size_t(c)];
    std::fill(cur.begin(), cur.end(), 0.0f);
    for (int y = 0; y < h; ++y) {
      std::fill(next.begin(), next.end(), 0.0f);
      for (int x = 0; x < w; ++x) {
        const std::size_t i = (std::size_t(y) * std::size_t(w) + std::size_t(x)) * std::size_t(ch) + std::size_t(c);
        const float val = static_cast<float>(in[i]) + cur[std::size_t(x) + 1];
        const float clamped = std::clamp(val, 0.0f, static_cast<float>(k.vmax));
        const std::uint32_t code = clampCode(std::nearbyint(clamped * k.scale), k.levels);
        const std::uint32_t q = dequantizeCode(code, k, Rounding::Nearest);
        out[i] = static_cast<T>(q);
        const float e = val - static_cast<float>(q);
        cur[std::size_t(x) + 2] += e * (7.0f / 16.0f);
        next[std::size_t(x)] += e * (3.0f / 16.0f);
        next[std::size_t(x) + 1] += e * (5.0f / 16.0f);
        next[std::size_t(x) + 2] += e * (1.0f / 16.0f);
      }
      std::swap(cur, next);
    }
  }
}

// The contract's formula for nearest/truncate on 8-bit samples, written so the compiler
// vectorizes it (roundps); identical arithmetic to quantizeCode + dequantizeCode.
template <bool Truncate>
__attribute__((always_inline)) inline void quantizeU8Body(const std::uint8_t* __restrict src,
                                                          std::uint8_t* __restrict dst, std::size_t n,
                                                          float scale, float inv, float maxCode) {
  for (std::size_t i = 0; i < n; ++i) {
    const float s = static_cast<float>(src[i]) * scale;
    const float code = std::min(Truncate ? std::floor(s) : std::nearbyint(s), maxCode);
    const float out = std::min(std::nearbyint(code * inv), 255.0f);
    dst[i] = static_cast<std::uint8_t>(static_cast<int>(out));
  }
}
// One AVX2 clone and one baseline clone of each (clang takes target_clones only on non-template
// functions, so the template body above is inlined into two plain ones).
__attribute__((target_clones("avx2", "default")))
void quantizeU8Nearest(const std::uint8_t* __restrict src, std::uint8_t* __restrict dst, std::size_t n,
                       float scale, float inv, float maxCode) {
  quantizeU8Body<false>(src, dst, n, scale, inv, maxCode);
}
__attribute__((target_clones("avx2", "default")))
void quantizeU8Truncate(const std::uint8_t* __restrict src, std::uint8_t* __restrict dst, std::size_t n,
                        float scale, float inv, float maxCode) {
  quantizeU8Body<true>(src, dst, n, scale, inv, maxCode);
}

// The same nearest/truncate mapping of 8-bit samples in 16-bit integers, twice as many lanes per
// instruction as the float formula: with D = L-1 (odd) and no float rounding error near a step,
// code = floor((v*D + add) / 255) (add = 127 for nearest, 0 for truncate) and the sample is
// round(code*255 / D) = floor((code*255 + D/2) / D) (no ties: D is odd). The divisions are by
// constants (D is a template argument), which compile to multiplies. quantizeTyped uses it only
// after checking it against the contract's formula for all 256 inputs (exactU8Mapping).
template <unsigned D>
__attribute__((always_inline)) inline void quantizeU8IntBody(const std::uint8_t* __restrict src,
                                                             std::uint8_t* __restrict dst, std::size_t n,
                                                             std::uint16_t add) {
  // Every intermediate is cast back to 16 bits so the compiler keeps 16-bit lanes.
  using u16 = std::uint16_t;
  for (std::size_t i = 0; i < n; ++i) {
    const u16 t = u16(u16(src[i] * u16(D)) + add);  // <= 255*255 + 127
    const u16 code = u16(t / u16(255));
    const u16 out = u16(u16(code * u16(255) + u16(D / 2)) / u16(D));
    dst[i] = static_cast<std::uint8_t>(out);
  }
}
// Integer mapping for D = L-1 in {1, 3, ..., 255}, in an AVX-512 / AVX2 clone and a baseline one.
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void quantizeU8Int(const std::uint8_t* __restrict src, std::uint8_t* __restrict dst, std::size_t n, unsigned d,
                   std::uint16_t add) {
  switch (d) {
    case 1: return quantizeU8IntBody<1>(src, dst, n, add);
    case 3: return quantizeU8IntBody<3>(src, dst, n, add);
    case 7: return quantizeU8IntBody<7>(src, dst, n, add);
    case 15: return quantizeU8IntBody<15>(src, dst, n, add);
    case 31: return quantizeU8IntBody<31>(src, dst, n, add);
    case 63: return quantizeU8IntBody<63>(src, dst, n, add);
    case 127: return quantizeU8IntBody<127>(src, dst, n, add);
    default: return quantizeU8IntBody<255>(src, dst, n, add);
  }
}
// Whether quantizeU8Int(d, add) gives the contract's output (quantizeCode then dequantizeCode)
// for every 8-bit input.
bool exactU8Mapping(const UniformConstants& k, Rounding r, unsigned d, std::uint16_t add) {
  std::uint8_t in[256], out[256];
  for (unsigned v = 0; v < 256; ++v) in[v] = static_cast<std::uint8_t>(v);
  quantizeU8Int(in, out, 256, d, add);
  for (std::uint32_t v = 0; v < 256; ++v)
    if (out[v] != dequantizeCode(quantizeCode(v, k, r, Dither::None, 0, 0, 0, 0), k, r)) return false;
  return true;
}

template <class T>
void applyLut(const std::vector<T>& in, std::vector<T>& out, int ch, const std::vector<std::vector<T>>& luts) {
  const std::size_t n = in.size();
  const T* src = in.data();
  T* dst = out.data();
  bool allSame = true;
  for (int c = 1; c < ch; ++c) allSame = allSame && luts[std::size_t(c)] == luts[0];
  if (allSame) {
    const T* lut = luts[0].data();
    if constexpr (sizeof(T) == 1) {
      // Two samples per lookup through a 64K-entry table of byte pairs (128 KiB, stays in L2).
      std::vector<std::uint16_t> pairLut(65536);
      for (std::uint32_t v = 0; v < 65536; ++v) {
        std::uint8_t bytes[2] = {lut[v & 0xFF], lut[v >> 8]};
        std::uint16_t lo = 0;
        std::memcpy(&lo, bytes, 2);
        // memcpy keeps the table correct on either byte order.
        std::uint16_t key = 0;
        const std::uint8_t keyBytes[2] = {std::uint8_t(v & 0xFF), std::uint8_t(v >> 8)};
        std::memcpy(&key, keyBytes, 2);
        pairLut[key] = lo;
      }
      parallelFor(n / 2, 1 << 16, [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
          std::uint16_t pair = 0;
          std::memcpy(&pair, src + 2 * i, 2);
          std::memcpy(dst + 2 * i, &pairLut[pair], 2);
        }
      });
      if (n % 2) dst[n - 1] = lut[src[n - 1]];
      return;
    }
    parallelFor(n, 1 << 16, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) dst[i] = lut[src[i]];
    });
    return;
  }
  const std::size_t pixels = n / std::size_t(ch);
  parallelFor(pixels, 1 << 14, [&](std::size_t b, std::size_t e) {
    for (std::size_t p = b; p < e; ++p)
      for (int c = 0; c < ch; ++c) {
        const std::size_t i = p * std::size_t(ch) + std::size_t(c);
        dst[i] = luts[std::size_t(c)][src[i]];
      }
  });
}

template <class T>
void quantizeTyped(const std::vector<T>& in, std::vector<T>& out, const Image& ref, const UniformSettings& s) {
  const int ch = ref.channels, colorCh = ref.colorChannels();
  std::array<UniformConstants, 3> ks{};
  for (int c = 0; c < colorCh; ++c) ks[std::size_t(c)] = uniformConstants(s.bitsFor(c), ref.vmax());
  if (s.dither == Dither::FloydSteinberg) {
    out = in;  // alpha (and everything not overwritten) passes through
    floydSteinberg(in, out, ref.width, ref.height, ch, colorCh, ks);
    return;
  }
  const bool uniformDepth = !ref.hasAlpha() && s.bitsFor(0) == s.bitsFor(1) && s.bitsFor(1) == s.bitsFor(2);
  if constexpr (sizeof(T) == 1) {
    if (s.dither == Dither::None && uniformDepth &&
        (s.rounding == Rounding::Nearest || s.rounding == Rounding::Truncate)) {
      const UniformConstants& k = ks[0];
      const float maxCode = static_cast<float>(k.levels - 1);
      const bool truncate = s.rounding == Rounding::Truncate;
      const unsigned d = k.levels - 1;
      const std::uint16_t add = truncate ? 0 : 127;
      if (exactU8Mapping(k, s.rounding, d, add)) {
        parallelFor(in.size(), 1 << 16, [&](std::size_t b, std::size_t e) {
          quantizeU8Int(in.data() + b, out.data() + b, e - b, d, add);
        });
        return;
      }
      parallelFor(in.size(), 1 << 16, [&](std::size_t b, std::size_t e) {
        if (truncate) quantizeU8Truncate(in.data() + b, out.data() + b, e - b, k.scale, k.inv, maxCode);
        else quantizeU8Nearest(in.data() + b, out.data() + b, e - b, k.scale, k.inv, maxCode);
      });
      return;
    }
  }
  if (s.dither == Dither::None && s.rounding != Rounding::Stochastic) {
    std::vector<std::vector<T>> luts(std::size_t(ch), std::vector<T>(std::size_t(ref.vmax()) + 1));
    for (int c = 0; c < ch; ++c)
      for (std::uint32_t v = 0; v <= ref.vmax(); ++v)
        luts[std::size_t(c)][v] = static_cast<T>(
            c < colorCh ? dequantizeCode(quantizeCode(v, ks[std::size_t(c)], s.rounding, s.dither, 0, 0, 0, 0),
                                         ks[std::size_t(c)], s.rounding)
                        : v);
    applyLut(in, out, ch, luts);
    return;
  }
  const std::uint32_t w = std::uint32_t(ref.width);
  parallelFor(std::size_t(ref.height), 16, [&](std::size_t yb, std::size_t ye) {
    for (std::size_t y = yb; y < ye; ++y)
      for (std::uint32_t x = 0; x < w; ++x)
        for (int c = 0; c < ch; ++c) {
          const std::size_t i = (y * w + x) * std::size_t(ch) + std::size_t(c);
          if (c >= colorCh) {
            out[i] = in[i];
            continue;
          }
          const UniformConstants& k = ks[std::size_t(c)];
          const std::uint32_t code = quantizeCode(in[i], k, s.rounding, s.dither, x, std::uint32_t(y),
                                                  std::uint32_t(c), s.seed);
          out[i] = static_cast<T>(dequantizeCode(code, k, s.rounding));
        }
  });
}
}  // namespace

Status cpuCanRun(const UniformSettings& s) {
  if (s.rounding == Rounding::User)
    return fail("the user shader rounding runs GLSL and needs the GPU (use --backend gpu)");
  return {};
}

Status quantizeUniformInto(const Image& ref, const UniformSettings& s, Image& out) {
  if (auto st = cpuCanRun(s); !st) return st;
  if (auto st = validateUniform(ref, s); !st) return st;
  if (!out.sameShape(ref)) out = Image::make(ref.width, ref.height, ref.channels, ref.type);
  if (ref.type == SampleType::U8) quantizeTyped(ref.u8, out.u8, ref, s);
  else quantizeTyped(ref.u16, out.u16, ref, s);
  return {};
}

Result<Image> quantizeUniform(const Image& src, const UniformSettings& s) {
  if (auto st = cpuCanRun(s); !st) return fail(st.error());
  if (auto st = validateUniform(src, s); !st) return fail(st.error());
  const Image ref = quantizerReference(src, s);
  Image out;
  if (auto st = quantizeUniformInto(ref, s, out); !st) return fail(st.error());
  return out;
}

}  // namespace qviz::core
