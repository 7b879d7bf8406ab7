// ggml's legacy reference formats Q8_0 and Q4_0: blocks of 32, the scale d stored as fp16. The
// codes follow quantize_row_q8_0_reference / quantize_row_q4_0_reference: id = d ? 1/d : 0 is
// computed from the float32 d, before d is rounded to fp16 for storage. A partial last block
// behaves as if zero-padded (zeros change neither the block maximum nor the other codes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "quant/formats/family.hpp"
#include "util/half.hpp"

namespace qviz::core {
namespace {

constexpr int kBlock = 32;
constexpr int kQ8Max = 127, kQ8Offset = 128;               // q8_0: d = amax / 127, code = roundf(x / d) + 128
constexpr int kQ4Divisor = -8, kQ4Offset = 8, kQ4Max = 15;  // q4_0: d = m / -8, code = min(15, (int8_t)(x / d + 8.5))

Status storeHalf(const char* name, std::size_t block, float d, BlockConstants& out) {
  out.stored = out.step = roundToHalf(d);
  if (!std::isfinite(out.stored))
    return fail(std::string(name) + " stores its block scale as fp16: block " + std::to_string(block) + " needs scale " +
                std::to_string(d) + ", beyond fp16's 65504 (values too large for this format)");
  return {};
}

Status q8Constants(BlockStats st, std::size_t block, BlockConstants& out) {
  const float d = st.s0 / float(kQ8Max);
  out = {};
  out.inv = d != 0.0f ? 1.0f / d : 0.0f;
  return storeHalf("q8_0", block, d, out);
}
// q4_0 keeps the sign of the first value of largest magnitude: that value gets code 0 (d may be negative).
Status q4Constants(BlockStats st, std::size_t block, BlockConstants& out) {
  const float d = st.s1 / float(kQ4Divisor);
  out = {};
  out.inv = d != 0.0f ? 1.0f / d : 0.0f;
  return storeHalf("q4_0", block, d, out);
}
BlockConstants ggmlDecodeConstants(float stored, float) {
  BlockConstants k;
  k.stored = k.step = stored;
  return k;
}
void q8Encode(const float* x, std::size_t count, const BlockConstants& k, std::uint8_t* codes) {
  for (std::size_t i = 0; i < count; ++i) codes[i] = std::uint8_t(int(std::round(x[i] * k.inv)) + kQ8Offset);  // half away from zero
}
void q4Encode(const float* x, std::size_t count, const BlockConstants& k, std::uint8_t* codes) {
  for (std::size_t i = 0; i < count; ++i) {
    const float v = x[i] * k.inv + 8.5f;  // two roundings, as in ggml (no FMA: -ffp-contract=off)
    codes[i] = std::uint8_t(std::min(kQ4Max, int(static_cast<std::int8_t>(v))));
  }
}
template <int Offset>
void offsetDecode(const std::uint8_t* codes, std::size_t count, const BlockConstants& k, float* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = float(int(codes[i]) - Offset) * k.step;
}
std::uint8_t q4Pad(const BlockConstants&) { return std::uint8_t(kQ4Offset); }  // trunc(0 * id + 8.5)

FormatDesc ggml(TensorFormat f, const char* name, const char* description, int bits) {
  FormatDesc d;
  d.format = f;
  d.name = name;
  d.family = "ggml_legacy";
  d.familyLabel = "ggml";
  d.description = description;
  d.codeBits = bits;
  d.fixedBlocksize = kBlock;
  d.scaleStorage = ScaleStorage::Float16;
  d.scaleName = "d";
  d.decodeConstants = ggmlDecodeConstants;
  return d;
}

}  // namespace

std::vector<FormatDesc> ggmlLegacyFormats() {
  using formats::define;
  FormatDesc q8 = ggml(TensorFormat::Q8_0, "q8_0", "ggml Q8_0: blocks of 32, fp16 d = amax/127", 8);
  q8.constants = q8Constants;
  q8.encodeBlock = q8Encode;
  q8.decodeBlock = offsetDecode<kQ8Offset>;
  q8.gpuDefines = define("ENCODE_ROUND_AWAY", 1) + define("CODE_OFFSET", kQ8Offset) + define("DECODE_OFFSET", 1);
  FormatDesc q4 = ggml(TensorFormat::Q4_0, "q4_0", "ggml Q4_0: blocks of 32, fp16 d = -max/8 (signed)", 4);
  q4.stat = BlockStat::FirstAbsmax;
  q4.constants = q4Constants;
  q4.encodeBlock = q4Encode;
  q4.decodeBlock = offsetDecode<kQ4Offset>;
  q4.padCode = q4Pad;
  q4.gpuDefines = define("ENCODE_Q4_0", 1) + define("CODE_OFFSET", kQ4Offset) + define("MAXCODE", kQ4Max) +
                  define("DECODE_OFFSET", 1);
  return {q8, q4,
          formats::rawDesc(TensorFormat::Q4_1, "q4_1", "ggml_legacy", "ggml", "ggml Q4_1: blocks of 32, fp16 d = (max-min)/15 and min", 4, 32, 20),
          formats::rawDesc(TensorFormat::Q5_0, "q5_0", "ggml_legacy", "ggml", "ggml Q5_0: blocks of 32, 5-bit, fp16 d = -max/16", 5, 32, 22),
          formats::rawDesc(TensorFormat::Q5_1, "q5_1", "ggml_legacy", "ggml", "ggml Q5_1: blocks of 32, 5-bit, fp16 d = (max-min)/31 and min", 5, 32, 24)};
}

}  // namespace qviz::core
