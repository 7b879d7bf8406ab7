// ggml's IQ4_NL and IQ4_XS (FORMATS.md §4): indices into a 16-value non-linear table, one fp16 d
// per block of 32 (IQ4_NL) or per super-block of 256 with a 6-bit scale per 32 (IQ4_XS). One
// quantizer with the scale search width `ntry`, as ggml's: iq4_nl is quantize_row_iq4_nl_ref
// (ntry = -1: one pass, least-squares scale, the first pass's codes), iq4_nl-ntry7 is what
// llama-quantize writes (ntry = 7, codes recomputed with the stored scale), iq4_xs uses ntry = 7.
// No importance matrix: the weights are x*x. Every step is one float32 operation, in order.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "quant/formats/family.hpp"
#include "quant/formats/ggml_common.hpp"

namespace qviz::core {
namespace {

constexpr int kSub = 32, kHalf = 16;
constexpr int kNlBytes = 18, kXsValues = 256, kXsBytes = 136, kXsSubs = kXsValues / kSub;
constexpr float kTable[16] = {-127.0f, -104.0f, -83.0f, -65.0f, -49.0f, -35.0f, -22.0f, -10.0f,
                              1.0f,    13.0f,   25.0f,  38.0f,  53.0f,  69.0f,  89.0f,  113.0f};
// The code an all-zero block gets: best_index(0) = 8 (table value 1), as ntry7 and IQ4_XS write.
constexpr std::uint8_t kZeroCode = 8;

// ggml's best_index_int8: the nearest table value, ties (equal float32 differences) to the upper
// one; NaN gives 15 as its binary search does. The table values are integers, so the lower
// neighbour is the largest entry <= floor(v), looked up instead of searched.
struct FloorLut {
  std::uint8_t lo[240] = {};  // floor(v) + 127 (floor(v) in -127..112) -> largest index with table <= floor(v)
  constexpr FloorLut() {
    int idx = 0;
    for (int f = -127; f <= 112; ++f) {
      while (idx < 15 && kTable[idx + 1] <= float(f)) ++idx;
      lo[f + 127] = std::uint8_t(idx);
    }
  }
};
constexpr FloorLut kFloorLut;

int bestIndex(float v) {
  if (!(v < kTable[15])) return 15;  // >= 113, or NaN
  if (v <= kTable[0]) return 0;
  std::int32_t f = std::int32_t(v);  // floor: truncation, one less for a negative non-integer
  f -= std::int32_t(float(f) > v);
  const int lo = kFloorLut.lo[f + 127];
  return (v - kTable[lo]) < (kTable[lo + 1] - v) ? lo : lo + 1;
}

// One 32-value sub-block: its scale (FORMATS.md §4 steps 1-4) and, when the block is not all
// below GROUP_MAX_EPS, the codes of the first pass in idx.
float fitSubBlock(const float* x, int ntry, std::uint8_t* idx) {
  const ggml::FirstArgmax a = ggml::firstArgmax(x, kSub);
  if (a.amax < ggml::kGroupMaxEps) return 0.0f;
  float w[kSub];
  for (int j = 0; j < kSub; ++j) w[j] = x[j] * x[j];
  float d = ntry > 0 ? -a.max / kTable[0] : a.max / kTable[0];
  float id = 1.0f / d;
  float sumqx = 0.0f, sumq2 = 0.0f;
  for (int j = 0; j < kSub; ++j) {
    const int l = bestIndex(id * x[j]);
    idx[j] = std::uint8_t(l);
    const float q = kTable[l], wq = w[j] * q;
    sumqx += wq * x[j];
    sumq2 += wq * q;
  }
  d = sumq2 > 0.0f ? sumqx / sumq2 : 0.0f;
  float best = d * sumqx;
  for (int itry = -ntry; itry <= ntry; ++itry) {
    id = float(itry - 127) / a.max;
    sumqx = 0.0f;
    sumq2 = 0.0f;
    for (int j = 0; j < kSub; ++j) {
      const float q = kTable[bestIndex(id * x[j])], wq = w[j] * q;
      sumqx += wq * x[j];
      sumq2 += wq * q;
    }
    if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

void packNibbles(const std::uint8_t* idx, std::uint8_t* qs) {
  for (int j = 0; j < kHalf; ++j) qs[j] = ggml::nibblePair(idx[j], idx[j + kHalf]);
}
void unpackNibbles(const std::uint8_t* qs, std::uint8_t* idx) {
  for (int j = 0; j < kHalf; ++j) {
    idx[j] = std::uint8_t(qs[j] & 15u);
    idx[j + kHalf] = std::uint8_t(qs[j] >> 4);
  }
}

// ---- IQ4_NL: 0 d (fp16) · 2..17 qs[16] ----------------------------------------------------------

template <int Ntry>
void nlQuantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  std::uint8_t idx[kSub];
  for (std::size_t b = 0; b < blocks; ++b, x += kSub, out += kNlBytes) {
    // For an all-zero block the reference's own codes are its buffer's leftovers (ntry = -1) or
    // best_index(0) = 8 (ntry = 7); we write 8 for both, which decodes to the same zeros with d = 0.
    std::fill(idx, idx + kSub, kZeroCode);
    const float scale = fitSubBlock(x, Ntry, idx);
    ggml::putU16(out, ggml::fp16(scale));
    if (Ntry > 0) {
      const float id = scale != 0.0f ? 1.0f / scale : 0.0f;
      for (int j = 0; j < kSub; ++j) idx[j] = std::uint8_t(bestIndex(id * x[j]));
    }
    packNibbles(idx, out + 2);
  }
}
void nlDequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kNlBytes, out += kSub) {
    const float d = ggml::f32(ggml::getU16(in));
    for (int j = 0; j < kHalf; ++j) {
      out[j] = d * kTable[in[2 + j] & 15u];
      out[j + kHalf] = d * kTable[in[2 + j] >> 4];
    }
  }
}
void nlCodes(const std::uint8_t* block, std::uint8_t* out) { unpackNibbles(block + 2, out); }

std::vector<float> tableLevels(float d) {
  std::vector<float> v(16);
  for (int c = 0; c < 16; ++c) v[std::size_t(c)] = d * kTable[c];
  return ggml::sortedLevels(std::move(v));
}

void nlInspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "block of 32: fp16 d, then 16 bytes of 4-bit table indices (value j low nibble, j+16 high); "
                "value = d * table[index], table -127 -104 -83 -65 -49 -35 -22 -10 1 13 25 38 53 69 89 113";
  const std::uint16_t h = ggml::getU16(block);
  v.constants = {{"d", h, 16, ggml::f32(h)}};
  v.subBlocks = 1;
  v.codes.resize(kSub);
  v.values.resize(kSub);
  nlCodes(block, v.codes.data());
  nlDequantize(block, 1, 0.0f, v.values.data());
  v.levels = {tableLevels(v.constants[0].value)};
}

// ---- IQ4_XS: 0 d (fp16) · 2 scales_h (u16) · 4..7 scales_l[4] · 8..135 qs[128] --------------------

int xsScale(const std::uint8_t* block, int ib) {
  const int lo = (block[4 + ib / 2] >> (4 * (ib % 2))) & 15;
  const int hi = (ggml::getU16(block + 2) >> (2 * ib)) & 3;
  return lo | hi << 4;
}

void xsQuantize(const float* x, std::size_t blocks, float, std::uint8_t* out) {
  constexpr int kNtry = 7;
  float scales[kXsSubs];
  std::uint8_t idx[kSub];
  for (std::size_t b = 0; b < blocks; ++b, x += kXsValues, out += kXsBytes) {
    float amaxScale = 0.0f, maxScale = 0.0f;
    for (int ib = 0; ib < kXsSubs; ++ib) {
      scales[ib] = fitSubBlock(x + ib * kSub, kNtry, idx);  // the codes are made again below
      const float a = std::fabs(scales[ib]);
      if (a > amaxScale) {
        amaxScale = a;
        maxScale = scales[ib];
      }
    }
    const float d = -maxScale / 32.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ggml::putU16(out, ggml::fp16(d));
    std::uint16_t scalesH = 0;
    std::fill(out + 4, out + 8, std::uint8_t(0));
    for (int ib = 0; ib < kXsSubs; ++ib) {
      const int l = std::clamp(ggml::nearestInt(id * scales[ib]), -32, 31);
      const float dl = d * float(l);
      const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
      const float* xb = x + ib * kSub;
      for (int j = 0; j < kSub; ++j) idx[j] = std::uint8_t(bestIndex(idl * xb[j]));
      packNibbles(idx, out + 8 + 16 * ib);
      const int ls = l + 32;
      out[4 + ib / 2] = std::uint8_t(out[4 + ib / 2] | (ls & 15) << (4 * (ib % 2)));
      scalesH = std::uint16_t(scalesH | (ls >> 4) << (2 * ib));
    }
    ggml::putU16(out + 2, scalesH);
  }
}
void xsDequantize(const std::uint8_t* in, std::size_t blocks, float, float* out) {
  for (std::size_t b = 0; b < blocks; ++b, in += kXsBytes) {
    const float d = ggml::f32(ggml::getU16(in));
    for (int ib = 0; ib < kXsSubs; ++ib, out += kSub) {
      const float dl = d * float(xsScale(in, ib) - 32);
      const std::uint8_t* qs = in + 8 + 16 * ib;
      for (int j = 0; j < kHalf; ++j) {
        out[j] = dl * kTable[qs[j] & 15u];
        out[j + kHalf] = dl * kTable[qs[j] >> 4];
      }
    }
  }
}
void xsCodes(const std::uint8_t* block, std::uint8_t* out) {
  for (int ib = 0; ib < kXsSubs; ++ib) unpackNibbles(block + 8 + 16 * ib, out + kSub * ib);
}
void xsInspect(const std::uint8_t* block, float, BlockView& v) {
  v = {};
  v.structure = "super-block of 256: fp16 d, 8 sub-blocks of 32 with a 6-bit scale ls each (4 bits in scales_l, "
                "2 in scales_h), 4-bit table indices; value = d * (ls - 32) * table[index]";
  const std::uint16_t h = ggml::getU16(block);
  const float d = ggml::f32(h);
  v.constants = {{"d", h, 16, d}};
  v.subBlocks = kXsSubs;
  v.levels.resize(kXsSubs);
  for (int ib = 0; ib < kXsSubs; ++ib) {
    const int ls = xsScale(block, ib);
    const float dl = d * float(ls - 32);
    v.constants.push_back({"scale[" + std::to_string(ib) + "]", std::uint32_t(ls), 6, dl});
    v.levels[std::size_t(ib)] = tableLevels(dl);
  }
  v.codes.resize(kXsValues);
  v.values.resize(kXsValues);
  xsCodes(block, v.codes.data());
  xsDequantize(block, 1, 0.0f, v.values.data());
}

}  // namespace

std::vector<FormatDesc> ggmlIq4Formats() {
  using formats::rawDesc;
  using formats::withCodec;
  return {
      withCodec(rawDesc(TensorFormat::IQ4_NL, "iq4_nl", "ggml_iq4", "ggml", "ggml IQ4_NL: blocks of 32 on a 16-value non-linear table, fp16 d (quantize_row_iq4_nl_ref)", 4, kSub, kNlBytes),
                nlQuantize<-1>, nlDequantize, nlCodes, nlInspect),
      withCodec(rawDesc(TensorFormat::IQ4_NL_NTRY7, "iq4_nl-ntry7", "ggml_iq4", "ggml", "ggml IQ4_NL as llama-quantize writes it (scale search ntry = 7)", 4, kSub, kNlBytes),
                nlQuantize<7>, nlDequantize, nlCodes, nlInspect),
      withCodec(rawDesc(TensorFormat::IQ4_XS, "iq4_xs", "ggml_iq4", "ggml", "ggml IQ4_XS: 256 = 8 x 32 on the IQ4 table, 6-bit scales, fp16 d", 4, kXsValues, kXsBytes),
                xsQuantize, xsDequantize, xsCodes, xsInspect),
  };
}

}  // namespace qviz::core
