// Integer formats with a float32 scale per block. Symmetric intN (absmax): scale = absmax /
// (2^(N-1) - 1), code = roundEven(x / scale) + 2^(N-1) (offset binary); the tensor stores the
// absmax. Asymmetric uintN (PyTorch's min-max observer, the range widened to include 0 so that 0 is
// exact): scale = (hi - lo) / (2^N - 1), zero point = roundEven(-lo / scale); the tensor stores the
// scale and the zero point.
#include <algorithm>
#include <cmath>

#include "quant/formats/family.hpp"

namespace qviz::core {
namespace {

constexpr int symmetricMax(int bits) { return (1 << (bits - 1)) - 1; }  // int8: 127, int4: 7, int2: 1
constexpr int codeOffset(int bits) { return 1 << (bits - 1); }          // int8: 128, int4: 8, int2: 2
constexpr int levels(int bits) { return (1 << bits) - 1; }              // uint8: 255, uint4: 15

template <int Bits>
Status symmetricConstants(BlockStats st, std::size_t, BlockConstants& out) {
  const float scale = st.s0 / float(symmetricMax(Bits));
  out = {};
  out.stored = st.s0;
  out.step = scale;
  out.inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  return {};
}
template <int Bits>
BlockConstants symmetricDecodeConstants(float stored, float) {
  BlockConstants k;
  k.stored = stored;
  k.step = stored / float(symmetricMax(Bits));  // the tensor stores the absmax
  return k;
}
template <int Bits>
void symmetricEncode(const float* x, std::size_t count, const BlockConstants& k, std::uint8_t* codes) {
  const int qmax = symmetricMax(Bits), off = codeOffset(Bits);
  for (std::size_t i = 0; i < count; ++i) {
    const float q = std::clamp(std::nearbyint(x[i] * k.inv), float(-qmax), float(qmax));
    codes[i] = std::uint8_t(int(q) + off);
  }
}
template <int Bits>
void symmetricDecode(const std::uint8_t* codes, std::size_t count, const BlockConstants& k, float* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = float(int(codes[i]) - codeOffset(Bits)) * k.step;
}
template <int Bits>
std::uint8_t symmetricPad(const BlockConstants&) { return std::uint8_t(codeOffset(Bits)); }  // the code of 0

template <int Bits>
Status asymmetricConstants(BlockStats st, std::size_t, BlockConstants& out) {
  const float lv = float(levels(Bits)), lo = st.s0, hi = st.s1;
  // (hi - lo) in double: it may exceed float32's range when hi and lo are both huge.
  const float scale = float((double(hi) - double(lo)) / double(lv));
  out = {};
  out.stored = out.step = scale;
  out.inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  out.zeroPoint = std::clamp(std::nearbyint(-lo * out.inv), 0.0f, lv);
  return {};
}
BlockConstants asymmetricDecodeConstants(float stored, float zeroPoint) {
  BlockConstants k;
  k.stored = k.step = stored;
  k.zeroPoint = zeroPoint;
  return k;
}
template <int Bits>
void asymmetricEncode(const float* x, std::size_t count, const BlockConstants& k, std::uint8_t* codes) {
  const float lv = float(levels(Bits));
  for (std::size_t i = 0; i < count; ++i)
    codes[i] = std::uint8_t(std::clamp(std::nearbyint(x[i] * k.inv) + k.zeroPoint, 0.0f, lv));
}
void asymmetricDecode(const std::uint8_t* codes, std::size_t count, const BlockConstants& k, float* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = (float(codes[i]) - k.zeroPoint) * k.step;
}
std::uint8_t asymmetricPad(const BlockConstants& k) { return std::uint8_t(k.zeroPoint); }  // the code of 0

template <int Bits>
FormatDesc symmetric(TensorFormat f, const char* name) {
  FormatDesc d;
  d.format = f;
  d.name = name;
  d.family = d.familyLabel = "intn";
  d.description = "symmetric integer, absmax per block (float32)";
  d.codeBits = Bits;
  d.constants = symmetricConstants<Bits>;
  d.decodeConstants = symmetricDecodeConstants<Bits>;
  d.encodeBlock = symmetricEncode<Bits>;
  d.decodeBlock = symmetricDecode<Bits>;
  if (Bits == 4) d.padCode = symmetricPad<Bits>;
  using formats::define;
  d.gpuDefines = define("ENCODE_SYMMETRIC", 1) + define("QMAX", symmetricMax(Bits)) + define("CODE_OFFSET", codeOffset(Bits)) +
                 define("DECODE_OFFSET", 1);
  return d;
}

template <int Bits>
FormatDesc asymmetric(TensorFormat f, const char* name) {
  FormatDesc d;
  d.format = f;
  d.name = name;
  d.family = d.familyLabel = "intn";
  d.description = "asymmetric integer, min-max scale and zero point per block (float32 each)";
  d.codeBits = Bits;
  d.scaleName = "scale";
  d.zeroPoint = true;
  d.stat = BlockStat::MinMax;
  d.constants = asymmetricConstants<Bits>;
  d.decodeConstants = asymmetricDecodeConstants;
  d.encodeBlock = asymmetricEncode<Bits>;
  d.decodeBlock = asymmetricDecode;
  if (Bits == 4) d.padCode = asymmetricPad;
  using formats::define;
  d.gpuDefines = define("ENCODE_ASYMMETRIC", 1) + define("LEVELS", levels(Bits)) + define("DECODE_ZERO_POINT", 1);
  return d;
}

}  // namespace

std::vector<FormatDesc> intnFormats() {
  return {symmetric<8>(TensorFormat::Int8, "int8"), symmetric<4>(TensorFormat::Int4, "int4"),
          symmetric<2>(TensorFormat::Int2, "int2"), asymmetric<8>(TensorFormat::UInt8, "uint8"),
          asymmetric<4>(TensorFormat::UInt4, "uint4")};
}

}  // namespace qviz::core
