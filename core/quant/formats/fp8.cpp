// OCP FP8 E4M3 and E5M2 with a float32 scale per block mapping the block absmax onto the format's
// largest finite value; round to nearest even, saturating.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "quant/formats/family.hpp"

namespace qviz::core {
namespace {

struct Fp8Spec {
  int mbits;
  int ebits;
  int bias;
  float maxValue;
  int maxField;           // largest exponent field of a finite value (E4M3: 15, its mantissa 111 is NaN; E5M2: 30)
  std::uint32_t maxMant;  // largest mantissa in that field
};
constexpr Fp8Spec kE4M3{3, 4, 7, 448.0f, 15, 6u};
constexpr Fp8Spec kE5M2{2, 5, 15, 57344.0f, 30, 3u};
const Fp8Spec& specOf(TensorFormat f) { return f == TensorFormat::FP8E5M2 ? kE5M2 : kE4M3; }

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
  const bool subnormal = m < (1u << f.mbits);
  const int field = subnormal ? 0 : ex + f.bias;
  const std::uint32_t mant = subnormal ? m : m - (1u << f.mbits);
  if (field > f.maxField || (field == f.maxField && mant > f.maxMant))
    return std::uint8_t(sign | (f.maxField << f.mbits) | f.maxMant);
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

// The scale maps the block absmax onto the largest finite value.
template <TensorFormat F>
Status fp8Constants(BlockStats st, std::size_t, BlockConstants& out) {
  const float scale = st.s0 / specOf(F).maxValue;
  out = {};
  out.stored = out.step = scale;
  out.inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  return {};
}
BlockConstants fp8DecodeConstants(float stored, float) {
  BlockConstants k;
  k.stored = k.step = stored;
  return k;
}
template <TensorFormat F>
void fp8EncodeBlock(const float* x, std::size_t count, const BlockConstants& k, std::uint8_t* codes) {
  const Fp8Spec& spec = specOf(F);
  for (std::size_t i = 0; i < count; ++i) codes[i] = fp8Encode(x[i] * k.inv, spec);
}
template <TensorFormat F>
void fp8DecodeBlock(const std::uint8_t* codes, std::size_t count, const BlockConstants& k, float* out) {
  const float* values = fp8Values(F).data();
  for (std::size_t i = 0; i < count; ++i) out[i] = values[codes[i]] * k.step;
}

template <TensorFormat F>
FormatDesc fp8Desc(const char* name, const char* description) {
  const Fp8Spec& spec = specOf(F);
  FormatDesc d;
  d.format = F;
  d.name = name;
  d.family = d.familyLabel = "fp8";
  d.description = description;
  d.codeBits = 8;
  d.scaleName = "scale";
  d.values = &fp8Values(F);
  d.constants = fp8Constants<F>;
  d.decodeConstants = fp8DecodeConstants;
  d.encodeBlock = fp8EncodeBlock<F>;
  d.decodeBlock = fp8DecodeBlock<F>;
  using formats::define;
  d.gpuDefines = define("ENCODE_FP8", 1) + define("MBITS", spec.mbits) + define("BIAS", spec.bias) +
                 define("MAXFIELD", spec.maxField) + define("MAXMANT", spec.maxMant) + define("DECODE_TABLE", 1);
  return d;
}

}  // namespace

const std::vector<float>& fp8Values(TensorFormat f) {
  static const auto make = [](const Fp8Spec& s) {
    std::vector<float> t(256);
    for (int c = 0; c < 256; ++c) t[std::size_t(c)] = fp8Decode(std::uint8_t(c), s);
    return t;
  };
  static const std::vector<float> e4m3 = make(kE4M3), e5m2 = make(kE5M2);
  return f == TensorFormat::FP8E5M2 ? e5m2 : e4m3;
}

std::uint8_t fp8EncodeValue(float y, TensorFormat f) { return fp8Encode(y, specOf(f)); }

std::vector<FormatDesc> fp8Formats() {
  return {fp8Desc<TensorFormat::FP8E4M3>("fp8-e4m3", "OCP FP8 E4M3 (max 448), float32 scale per block"),
          fp8Desc<TensorFormat::FP8E5M2>("fp8-e5m2", "OCP FP8 E5M2 (max 57344), float32 scale per block")};
}

}  // namespace qviz::core
