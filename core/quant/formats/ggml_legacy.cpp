// ggml's legacy reference formats (FORMATS.md §2): blocks of 32, the scale d (and Q4_1/Q5_1's
// min m) stored as fp16. Q8_0 and Q4_0 have per-value codes and fp16 scales (the table's generic
// block loop and GPU kernels) and, like Q4_1, Q5_0 and Q5_1, a raw codec that writes ggml's own
// blocks (block_q8_0 ... block_q5_1, little-endian). The codes follow quantize_row_*_ref:
// id = d ? 1/d : 0 is computed from the float32 d, before d is rounded to fp16 for storage. In
// Q8_0 and Q4_0 a partial last block behaves as if zero-padded (zeros change neither the block
// maximum nor the other codes), in their codes and in their ggml blocks alike; Q4_1, Q5_0 and Q5_1
// refuse a length that is not a multiple of 32, as ggml does (validateBlockwiseShape).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>

#include "quant/formats/family.hpp"
#include "quant/formats/ggml_common.hpp"
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

FormatDesc ggmlDesc(TensorFormat f, const char* name, const char* description, int bits) {
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

// ---- Raw codecs: ggml's block layouts (FORMATS.md §2) -----------------------------------------
// A block of float32 subnormals makes 1/d overflow, so the scaled values are +-inf or NaN; ggml's
// 8-bit conversions of those give code 0 on x86-64 (ggml::truncByte), and fp16(d) is a signed zero.

constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24, kQ8_0Bytes = 34;
constexpr int kHalf = kBlock / 2;

BlockView::Constant halfConstant(const char* name, std::uint16_t h) { return {name, h, 16, ggml::f32(h)}; }

// Q8_0: d = amax/127, q = roundf(x/d) as int8 (half away from zero). Bytes: d, qs[32].
void q80Quantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kBlock, out += kQ8_0Bytes) {
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / float(kQ8Max);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ggml::putU16(out, ggml::fp16(d));
    for (int j = 0; j < kBlock; ++j) out[2 + j] = ggml::roundByte(x[j] * id);
  }
}
void q80Dequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kQ8_0Bytes, out += kBlock) {
    const float d = ggml::f32(ggml::getU16(in));
    for (int j = 0; j < kBlock; ++j) out[j] = float(std::int8_t(in[2 + j])) * d;
  }
}
// Q8_0's stored code is the int8 byte itself (two's complement: 0xff is -1).
void q80Codes(const std::uint8_t* block, std::uint8_t* out) { std::copy(block + 2, block + 2 + kBlock, out); }

// Q4_0: d = max/-8 (max the first value of largest magnitude), c = min(15, (int8)(x/d + 8.5)).
// Bytes: d, qs[16] (element j in the low nibble of byte j, j+16 in the high one).
void q40Quantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kBlock, out += kQ4_0Bytes) {
    const float d = ggml::firstArgmax(x, kBlock).max / float(kQ4Divisor);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ggml::putU16(out, ggml::fp16(d));
    for (int j = 0; j < kHalf; ++j) {
      const int c0 = std::min(kQ4Max, int(ggml::truncInt8(x[j] * id + 8.5f)));
      const int c1 = std::min(kQ4Max, int(ggml::truncInt8(x[j + kHalf] * id + 8.5f)));
      out[2 + j] = ggml::nibblePair(c0, c1);
    }
  }
}
void q40Dequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kQ4_0Bytes, out += kBlock) {
    const float d = ggml::f32(ggml::getU16(in));
    for (int j = 0; j < kHalf; ++j) {
      out[j] = float(int(in[2 + j] & 15u) - kQ4Offset) * d;
      out[j + kHalf] = float(int(in[2 + j] >> 4) - kQ4Offset) * d;
    }
  }
}
void nibbleCodes(const std::uint8_t* qs, std::uint8_t* out) {
  for (int j = 0; j < kHalf; ++j) {
    out[j] = std::uint8_t(qs[j] & 15u);
    out[j + kHalf] = std::uint8_t(qs[j] >> 4);
  }
}
void q40Codes(const std::uint8_t* block, std::uint8_t* out) { nibbleCodes(block + 2, out); }

// Q4_1 / Q5_1: min and max over the block (strict comparisons from +-FLT_MAX), d = (max-min)/nmax.
struct MinMax {
  float min = FLT_MAX, max = -FLT_MAX;
};
MinMax minMax(const float* x) {
  MinMax r;
  for (int j = 0; j < kBlock; ++j) {
    if (x[j] < r.min) r.min = x[j];
    if (x[j] > r.max) r.max = x[j];
  }
  return r;
}

// Q4_1: c = min(15, (int8)((x - min)/d + 0.5)). Bytes: d, m, qs[16].
void q41Quantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  for (std::size_t b = 0; b < blocks; ++b, x += kBlock, out += kQ4_1Bytes) {
    const MinMax mm = minMax(x);
    const float d = (mm.max - mm.min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ggml::putU16(out, ggml::fp16(d));
    ggml::putU16(out + 2, ggml::fp16(mm.min));
    for (int j = 0; j < kHalf; ++j) {
      const int c0 = std::min(15, int(ggml::truncInt8((x[j] - mm.min) * id + 0.5f)));
      const int c1 = std::min(15, int(ggml::truncInt8((x[j + kHalf] - mm.min) * id + 0.5f)));
      out[4 + j] = ggml::nibblePair(c0, c1);
    }
  }
}
void q41Dequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kQ4_1Bytes, out += kBlock) {
    const float d = ggml::f32(ggml::getU16(in)), m = ggml::f32(ggml::getU16(in + 2));
    for (int j = 0; j < kHalf; ++j) {
      out[j] = float(in[4 + j] & 15u) * d + m;
      out[j + kHalf] = float(in[4 + j] >> 4) * d + m;
    }
  }
}
void q41Codes(const std::uint8_t* block, std::uint8_t* out) { nibbleCodes(block + 4, out); }

// Q5: the low 4 bits as Q4's nibble pairs, bit 4 of element j in bit j of qh.
void q5Pack(const int* c, std::uint8_t* qh, std::uint8_t* qs) {
  std::uint32_t h = 0;
  for (int j = 0; j < kHalf; ++j) {
    qs[j] = ggml::nibblePair(c[j], c[j + kHalf]);
    h |= std::uint32_t((c[j] & 0x10) >> 4) << j;
    h |= std::uint32_t((c[j + kHalf] & 0x10) >> 4) << (j + kHalf);
  }
  ggml::putU32(qh, h);
}
void q5Codes(const std::uint8_t* qh, const std::uint8_t* qs, std::uint8_t* out) {
  const std::uint32_t h = ggml::getU32(qh);
  for (int j = 0; j < kHalf; ++j) {
    out[j] = std::uint8_t((qs[j] & 15u) | ((h >> j) & 1u) << 4);
    out[j + kHalf] = std::uint8_t((qs[j] >> 4) | ((h >> (j + kHalf)) & 1u) << 4);
  }
}

// Q5_0: d = max/-16, c = min(31, (int8)(x/d + 16.5)). Bytes: d, qh, qs[16].
void q50Quantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  int c[kBlock];
  for (std::size_t b = 0; b < blocks; ++b, x += kBlock, out += kQ5_0Bytes) {
    const float d = ggml::firstArgmax(x, kBlock).max / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ggml::putU16(out, ggml::fp16(d));
    for (int j = 0; j < kBlock; ++j) c[j] = std::min(31, int(ggml::truncInt8(x[j] * id + 16.5f)));
    q5Pack(c, out + 2, out + 6);
  }
}
void q50Dequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  std::uint8_t c[kBlock];
  for (std::size_t b = 0; b < blocks; ++b, in += kQ5_0Bytes, out += kBlock) {
    const float d = ggml::f32(ggml::getU16(in));
    q5Codes(in + 2, in + 6, c);
    for (int j = 0; j < kBlock; ++j) out[j] = float(int(c[j]) - 16) * d;
  }
}
void q50Codes(const std::uint8_t* block, std::uint8_t* out) { q5Codes(block + 2, block + 6, out); }

// Q5_1: c = (uint8)((x - min)/d + 0.5) (no clamp). Bytes: d, m, qh, qs[16].
void q51Quantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  int c[kBlock];
  for (std::size_t b = 0; b < blocks; ++b, x += kBlock, out += kQ5_1Bytes) {
    const MinMax mm = minMax(x);
    const float d = (mm.max - mm.min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ggml::putU16(out, ggml::fp16(d));
    ggml::putU16(out + 2, ggml::fp16(mm.min));
    for (int j = 0; j < kBlock; ++j) c[j] = int(ggml::truncByte((x[j] - mm.min) * id + 0.5f));
    q5Pack(c, out + 4, out + 8);
  }
}
void q51Dequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  std::uint8_t c[kBlock];
  for (std::size_t b = 0; b < blocks; ++b, in += kQ5_1Bytes, out += kBlock) {
    const float d = ggml::f32(ggml::getU16(in)), m = ggml::f32(ggml::getU16(in + 2));
    q5Codes(in + 4, in + 8, c);
    for (int j = 0; j < kBlock; ++j) out[j] = float(c[j]) * d + m;
  }
}
void q51Codes(const std::uint8_t* block, std::uint8_t* out) { q5Codes(block + 4, block + 8, out); }

// The inspector of one block: codes and values from the codec, levels = every code's value.
template <void (*Codes)(const std::uint8_t*, std::uint8_t*), void (*Dequantize)(const std::uint8_t*, std::size_t, float, float*)>
void finishView(const std::uint8_t* block, BlockView& v, int codeCount, float (*level)(int code, const BlockView& v)) {
  v.subBlocks = 1;
  v.codes.resize(kBlock);
  v.values.resize(kBlock);
  Codes(block, v.codes.data());
  Dequantize(block, 1, 0.0f, v.values.data());
  std::vector<float> lv(static_cast<std::size_t>(codeCount));
  for (int c = 0; c < codeCount; ++c) lv[std::size_t(c)] = level(c, v);
  v.levels = {ggml::sortedLevels(std::move(lv))};
}

void q80Inspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: fp16 d, then 32 int8 codes; value = code * d (d = amax / 127, codes -127..127)";
  v.constants = {halfConstant("d", ggml::getU16(block))};
  finishView<q80Codes, q80Dequantize>(block, v, 256, [](int c, const BlockView& bv) {
    return float(std::int8_t(std::uint8_t(c))) * bv.constants[0].value;
  });
}
void q40Inspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: fp16 d, then 16 bytes of 4-bit codes (value j low nibble, j+16 high); "
                "value = (code - 8) * d (d = max / -8)";
  v.constants = {halfConstant("d", ggml::getU16(block))};
  finishView<q40Codes, q40Dequantize>(block, v, 16, [](int c, const BlockView& bv) {
    return float(c - kQ4Offset) * bv.constants[0].value;
  });
}
void q41Inspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: fp16 d, fp16 m, then 16 bytes of 4-bit codes (value j low nibble, j+16 high); "
                "value = code * d + m (d = (max - min) / 15, m = min)";
  v.constants = {halfConstant("d", ggml::getU16(block)), halfConstant("m", ggml::getU16(block + 2))};
  finishView<q41Codes, q41Dequantize>(block, v, 16, [](int c, const BlockView& bv) {
    return float(c) * bv.constants[0].value + bv.constants[1].value;
  });
}
void q50Inspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: fp16 d, 32-bit qh (bit 4 of code j in bit j), then 16 bytes of low nibbles "
                "(value j low, j+16 high); value = (code - 16) * d (d = max / -16)";
  v.constants = {halfConstant("d", ggml::getU16(block))};
  finishView<q50Codes, q50Dequantize>(block, v, 32, [](int c, const BlockView& bv) {
    return float(c - 16) * bv.constants[0].value;
  });
}
void q51Inspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: fp16 d, fp16 m, 32-bit qh (bit 4 of code j in bit j), then 16 bytes of low "
                "nibbles (value j low, j+16 high); value = code * d + m (d = (max - min) / 31, m = min)";
  v.constants = {halfConstant("d", ggml::getU16(block)), halfConstant("m", ggml::getU16(block + 2))};
  finishView<q51Codes, q51Dequantize>(block, v, 32, [](int c, const BlockView& bv) {
    return float(c) * bv.constants[0].value + bv.constants[1].value;
  });
}

void setCodec(FormatDesc& d, int blockBytes, void (*quantize)(const float*, std::size_t, float, std::uint8_t*),
              void (*dequantize)(const std::uint8_t*, std::size_t, float, float*), void (*codes)(const std::uint8_t*, std::uint8_t*),
              void (*inspect)(const std::uint8_t*, float, BlockView&)) {
  d.raw.blockValues = kBlock;
  d.raw.blockBytes = blockBytes;
  d.raw.rows = RowRule::Flat;
  d = formats::withCodec(d, quantize, dequantize, codes, inspect);
}

}  // namespace

std::vector<FormatDesc> ggmlLegacyFormats() {
  using formats::define;
  FormatDesc q8 = ggmlDesc(TensorFormat::Q8_0, "q8_0", "ggml Q8_0: blocks of 32, fp16 d = amax/127", 8);
  q8.constants = q8Constants;
  q8.encodeBlock = q8Encode;
  q8.decodeBlock = offsetDecode<kQ8Offset>;
  q8.gpuDefines = define("ENCODE_ROUND_AWAY", 1) + define("CODE_OFFSET", kQ8Offset) + define("DECODE_OFFSET", 1);
  FormatDesc q4 = ggmlDesc(TensorFormat::Q4_0, "q4_0", "ggml Q4_0: blocks of 32, fp16 d = -max/8 (signed)", 4);
  q4.stat = BlockStat::FirstAbsmax;
  q4.constants = q4Constants;
  q4.encodeBlock = q4Encode;
  q4.decodeBlock = offsetDecode<kQ4Offset>;
  q4.padCode = q4Pad;
  q4.gpuDefines = define("ENCODE_Q4_0", 1) + define("CODE_OFFSET", kQ4Offset) + define("MAXCODE", kQ4Max) +
                  define("DECODE_OFFSET", 1);
  // Their ggml blocks too (QuantizedTensor::blocks); the per-value codes above stay as they are.
  setCodec(q8, kQ8_0Bytes, q80Quantize, q80Dequantize, q80Codes, q80Inspect);
  setCodec(q4, kQ4_0Bytes, q40Quantize, q40Dequantize, q40Codes, q40Inspect);
  FormatDesc q41 = formats::rawDesc(TensorFormat::Q4_1, "q4_1", "ggml_legacy", "ggml",
                                    "ggml Q4_1: blocks of 32, fp16 d = (max-min)/15 and min", 4, kBlock, kQ4_1Bytes);
  setCodec(q41, kQ4_1Bytes, q41Quantize, q41Dequantize, q41Codes, q41Inspect);
  FormatDesc q50 = formats::rawDesc(TensorFormat::Q5_0, "q5_0", "ggml_legacy", "ggml",
                                    "ggml Q5_0: blocks of 32, 5-bit, fp16 d = -max/16", 5, kBlock, kQ5_0Bytes);
  setCodec(q50, kQ5_0Bytes, q50Quantize, q50Dequantize, q50Codes, q50Inspect);
  FormatDesc q51 = formats::rawDesc(TensorFormat::Q5_1, "q5_1", "ggml_legacy", "ggml",
                                    "ggml Q5_1: blocks of 32, 5-bit, fp16 d = (max-min)/31 and min", 5, kBlock, kQ5_1Bytes);
  setCodec(q51, kQ5_1Bytes, q51Quantize, q51Dequantize, q51Codes, q51Inspect);
  return {q8, q4, q41, q50, q51};
}

}  // namespace qviz::core
