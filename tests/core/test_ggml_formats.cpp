// ggml's small-block raw formats (FORMATS.md §2, §4, §5): q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl,
// iq4_nl-ntry7, iq4_xs, ggml-mxfp4, ggml-nvfp4. Hand-worked blocks with their exact bytes and
// values (ties, all-zero blocks, float32 subnormals, one huge outlier), the length rule, the block
// inspector, codes() against an unpacking written here from the layouts, and the whole path
// (quantizeBlockwise, dequantize) against the reference vectors in tests/data/vectors/formats.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../data_names.hpp"
#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"
#include "tensor/npy.hpp"
#include "test_support.hpp"
#include "util/half.hpp"

using namespace qviz::core;

namespace {

using qviz::test::loadF32;
using qviz::test::readFile;

using Bytes = std::vector<std::uint8_t>;

Bytes quantRaw(TensorFormat f, const std::vector<float>& x) {
  BlockwiseSettings s;
  s.format = f;
  Bytes out;
  const Status st = quantizeRawBlocks(x.data(), x.size(), s, out);
  INFO(st.error());
  REQUIRE(st.ok());
  return out;
}
std::vector<float> dequantRaw(TensorFormat f, const Bytes& b, std::size_t n) {
  BlockwiseSettings s;
  s.format = f;
  std::vector<float> out(n);
  REQUIRE(dequantizeRawBlocks(b.data(), b.size(), n, s, out.data()).ok());
  return out;
}
Bytes codesOf(TensorFormat f, const Bytes& b, std::size_t block = 0) {
  const RawCodec& r = formatDesc(f).raw;
  Bytes c(std::size_t(r.blockValues));
  r.codes(b.data() + std::size_t(r.headerBytes) + block * std::size_t(r.blockBytes), c.data());
  return c;
}
// `head`, then `fill` up to n bytes.
Bytes pad(std::initializer_list<std::uint8_t> head, std::size_t n, std::uint8_t fill) {
  Bytes b(n, fill);
  std::size_t i = 0;
  for (std::uint8_t v : head) b[i++] = v;
  return b;
}
bool negZero(float v) { return v == 0.0f && std::signbit(v); }
bool posZero(float v) { return v == 0.0f && !std::signbit(v); }
bool sameBits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

// A block of 32 (or n) zeros with the given values set.
std::vector<float> block(std::initializer_list<std::pair<int, float>> set, std::size_t n = 32, float fill = 0.0f) {
  std::vector<float> x(n, fill);
  for (auto [i, v] : set) x[std::size_t(i)] = v;
  return x;
}
constexpr float kSub = 1e-40f;  // a float32 subnormal
const float kBelowHalf = std::nextafter(0.5f, 0.0f);  // 0.49999997

// Codes of one block unpacked here from the layouts of FORMATS.md (independent of the codecs).
Bytes unpackNibbles(const std::uint8_t* qs, int pairs) {  // byte j = e[j] | e[j+pairs]<<4
  Bytes c(std::size_t(2 * pairs));
  for (int j = 0; j < pairs; ++j) {
    c[std::size_t(j)] = std::uint8_t(qs[j] & 15);
    c[std::size_t(j + pairs)] = std::uint8_t(qs[j] >> 4);
  }
  return c;
}
Bytes layoutCodes(TensorFormat f, const std::uint8_t* b) {
  auto q5 = [](const std::uint8_t* qh, const std::uint8_t* qs) {
    Bytes c = unpackNibbles(qs, 16);
    const std::uint32_t h = std::uint32_t(qh[0]) | std::uint32_t(qh[1]) << 8 | std::uint32_t(qh[2]) << 16 | std::uint32_t(qh[3]) << 24;
    for (int j = 0; j < 32; ++j) c[std::size_t(j)] = std::uint8_t(c[std::size_t(j)] | ((h >> j) & 1u) << 4);
    return c;
  };
  switch (f) {
    case TensorFormat::Q8_0: return Bytes(b + 2, b + 34);
    case TensorFormat::Q4_0: return unpackNibbles(b + 2, 16);
    case TensorFormat::Q4_1: return unpackNibbles(b + 4, 16);
    case TensorFormat::Q5_0: return q5(b + 2, b + 6);
    case TensorFormat::Q5_1: return q5(b + 4, b + 8);
    case TensorFormat::IQ4_NL:
    case TensorFormat::IQ4_NL_NTRY7: return unpackNibbles(b + 2, 16);
    case TensorFormat::IQ4_XS: {
      Bytes c;
      for (int ib = 0; ib < 8; ++ib) {
        const Bytes s = unpackNibbles(b + 8 + 16 * ib, 16);
        c.insert(c.end(), s.begin(), s.end());
      }
      return c;
    }
    case TensorFormat::GgmlMXFP4: return unpackNibbles(b + 1, 16);
    case TensorFormat::GgmlNVFP4: {
      Bytes c;
      for (int s = 0; s < 4; ++s) {
        const Bytes p = unpackNibbles(b + 4 + 8 * s, 8);
        c.insert(c.end(), p.begin(), p.end());
      }
      return c;
    }
    default: FAIL("not a format of this file"); return {};
  }
}

constexpr float kIq4[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
constexpr float kE2M1[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};

// Value i of a block from its inspector's constants and codes, by the format's formula.
float valueFromView(TensorFormat f, const BlockView& v, std::size_t i) {
  const auto& k = v.constants;
  const int c = v.codes[i];
  switch (f) {
    case TensorFormat::Q8_0: return float(std::int8_t(std::uint8_t(c))) * k[0].value;
    case TensorFormat::Q4_0: return float(c - 8) * k[0].value;
    case TensorFormat::Q4_1: return float(c) * k[0].value + k[1].value;
    case TensorFormat::Q5_0: return float(c - 16) * k[0].value;
    case TensorFormat::Q5_1: return float(c) * k[0].value + k[1].value;
    case TensorFormat::IQ4_NL:
    case TensorFormat::IQ4_NL_NTRY7: return k[0].value * kIq4[c];
    case TensorFormat::IQ4_XS: return k[1 + i / 32].value * kIq4[c];
    case TensorFormat::GgmlMXFP4: return kE2M1[c] * k[0].value;
    case TensorFormat::GgmlNVFP4: return kE2M1[c] * k[i / 16].value;
    default: return std::numeric_limits<float>::quiet_NaN();
  }
}

const std::vector<TensorFormat>& ours() {
  static const std::vector<TensorFormat> f = {TensorFormat::Q8_0,   TensorFormat::Q4_0,         TensorFormat::Q4_1,
                                              TensorFormat::Q5_0,   TensorFormat::Q5_1,         TensorFormat::IQ4_NL,
                                              TensorFormat::IQ4_NL_NTRY7, TensorFormat::IQ4_XS, TensorFormat::GgmlMXFP4,
                                              TensorFormat::GgmlNVFP4};
  return f;
}

// The inspector of block b against the codec: codes, values, the formula on its constants, levels.
void checkInspect(TensorFormat f, const Bytes& bytes, std::size_t b) {
  INFO(formatDesc(f).name << " block " << b);
  const RawCodec& r = formatDesc(f).raw;
  QuantizedTensor q;
  q.format = f;
  q.blocks = bytes;
  auto v = inspectBlock(q, b);
  REQUIRE(v.ok());
  const std::size_t bv = std::size_t(r.blockValues);
  CHECK(!v->structure.empty());
  REQUIRE(v->codes.size() == bv);
  REQUIRE(v->values.size() == bv);
  CHECK(v->codes == codesOf(f, bytes, b));
  CHECK(v->codes == layoutCodes(f, bytes.data() + b * std::size_t(r.blockBytes)));
  std::vector<float> deq(bv);
  r.dequantize(bytes.data() + b * std::size_t(r.blockBytes), 1, 0.0f, deq.data());
  REQUIRE(v->subBlocks >= 1);
  REQUIRE(v->levels.size() == std::size_t(v->subBlocks));
  const std::size_t per = bv / std::size_t(v->subBlocks);
  for (const auto& lv : v->levels)
    for (std::size_t i = 1; i < lv.size(); ++i) CHECK(lv[i - 1] < lv[i]);
  for (std::size_t i = 0; i < bv; ++i) {
    INFO("value " << i);
    CHECK(sameBits(v->values[i], deq[i]));
    CHECK(sameBits(valueFromView(f, *v, i), deq[i]));
    const auto& lv = v->levels[i / per];
    CHECK(std::find(lv.begin(), lv.end(), deq[i]) != lv.end());
  }
}

std::string vectorDir(TensorFormat f) { return qviz::test::vectorNames().at(formatDesc(f).name); }

}  // namespace

TEST_CASE("ggml q8_0 raw blocks: round half away, zero, subnormals, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::Q8_0;
  // amax 127: d = 1; roundf of x.
  auto x = block({{0, 127.0f}, {1, 2.5f}, {2, -2.5f}, {3, 0.49f}, {4, -126.5f}, {5, 0.5f}, {6, -0.5f}});
  // All zero; subnormals (1/d overflows: every code 0, d stored as fp16 +0); one huge outlier.
  auto zero = block({});
  auto sub = block({{3, -kSub}, {7, 0.0f}}, 32, kSub);
  auto big = block({{5, 127000.0f}}, 32, 1.0f);
  for (auto* b : {&zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 4 * 34);
  const Bytes a = {0x00, 0x3c, 0x7f, 0x03, 0xfd, 0x00, 0x81, 0x01, 0xff};
  CHECK(Bytes(q.begin(), q.begin() + 9) == a);
  for (std::size_t i = 9; i < 34; ++i) CHECK(q[i] == 0);
  for (std::size_t i = 34; i < 102; ++i) CHECK(q[i] == 0);  // zero and subnormal blocks: all bytes 0
  CHECK(q[102] == 0xd0);  // d = 1000 = fp16 0x63d0
  CHECK(q[103] == 0x63);
  for (int j = 0; j < 32; ++j) CHECK(q[104 + std::size_t(j)] == (j == 5 ? 0x7f : 0x00));
  const auto d = dequantRaw(f, q, x.size());
  const std::vector<float> da = {127, 3, -3, 0, -127, 1, -1, 0};
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(d[i] == da[i]);
  for (std::size_t i = 32; i < 96; ++i) CHECK(posZero(d[i]));
  CHECK(d[96 + 5] == 127000.0f);
  CHECK(d[96] == 0.0f);
  // The stored code is the int8 byte.
  CHECK(codesOf(f, q)[4] == 0x81);
}

TEST_CASE("ggml q4_0 raw blocks: ties, zero, subnormals, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::Q4_0;
  // max = 8 (first of largest magnitude): d = 8 / -8 = -1, id = -1, c = min(15, (int8)(-x + 8.5)).
  auto x = block({{0, 8.0f},
                  {1, -8.0f},           // 16.5 -> 16 -> 15
                  {2, -kBelowHalf},     // t = 0.49999997: 8.99999997 rounds to 9.0 -> 9
                  {3, -0.5f},           // 9
                  {4, 0.5f},            // 8: (8-8) * -1 = -0
                  {5, -1.5f},           // 10
                  {6, 1.25f},           // 7.25 -> 7
                  {16, -3.49f},         // 11.99 -> 11
                  {31, 7.9f}});         // 0.6 -> 0
  auto zero = block({});                            // d = 0 / -8 = -0: 0x8000, codes 8
  auto sub = block({{3, -kSub}, {7, 0.0f}}, 32, kSub);  // 1/d = -inf: codes 0, d = fp16(-1.25e-41) = 0x8000
  auto big = block({{5, 1000.0f}}, 32, 1.0f);       // d = -125 (0xd7d0): the ones give 8.492 -> 8
  for (auto* b : {&zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 4 * 18);
  const Bytes a = {0x00, 0xbc, 0xb0, 0x8f, 0x89, 0x89, 0x88, 0x8a, 0x87, 0x88,
                   0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x08};
  CHECK(Bytes(q.begin(), q.begin() + 18) == a);
  Bytes z = pad({0x00, 0x80}, 18, 0x88);
  CHECK(Bytes(q.begin() + 18, q.begin() + 36) == z);
  Bytes s = pad({0x00, 0x80}, 18, 0x00);
  CHECK(Bytes(q.begin() + 36, q.begin() + 54) == s);
  Bytes o = pad({0xd0, 0xd7}, 18, 0x88);
  o[2 + 5] = 0x80;
  CHECK(Bytes(q.begin() + 54, q.end()) == o);
  CHECK(codesOf(f, q) == Bytes({0, 15, 9, 9, 8, 10, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8,
                                11, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0}));
  const auto d = dequantRaw(f, q, x.size());
  CHECK(d[0] == 8.0f);
  CHECK(d[1] == -7.0f);
  CHECK(d[2] == -1.0f);
  CHECK(d[3] == -1.0f);
  CHECK(negZero(d[4]));  // d < 0: code 8 decodes to -0
  CHECK(d[5] == -2.0f);
  CHECK(d[6] == 1.0f);
  CHECK(d[16] == -3.0f);
  CHECK(d[31] == 8.0f);
  for (std::size_t i = 32; i < 64; ++i) CHECK(negZero(d[i]));  // 0 * -0
  for (std::size_t i = 64; i < 96; ++i) CHECK(posZero(d[i]));  // -8 * -0
  CHECK(d[96 + 5] == 1000.0f);
  CHECK(negZero(d[96]));
}

TEST_CASE("ggml q4_1 raw blocks: ties up, zero, subnormals, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::Q4_1;
  // min -1, max 14: d = 1, m = -1, c = min(15, (int8)(x + 1 + 0.5)).
  auto x = block({{0, -1.0f}, {1, 14.0f}, {2, 1.5f}, {3, 0.25f}, {4, 1.4f}, {5, 13.6f}, {20, 6.49f}}, 32, -1.0f);
  auto zero = block({});
  auto sub = block({{0, -kSub}}, 32, kSub);     // d = 2e-40/15 (subnormal): 1/d = inf, codes 0; m = -0
  auto big = block({{5, 1000.0f}}, 32, 1.0f);   // d = 999/15 -> fp16 66.625 (0x542a), m = 1
  for (auto* b : {&zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 4 * 20);
  Bytes a = pad({0x00, 0x3c, 0x00, 0xbc, 0x00, 0x0f, 0x03, 0x01, 0x72, 0x0f}, 20, 0x00);
  CHECK(Bytes(q.begin(), q.begin() + 20) == a);
  CHECK(Bytes(q.begin() + 20, q.begin() + 40) == Bytes(20, 0x00));
  Bytes s = pad({0x00, 0x00, 0x00, 0x80}, 20, 0x00);
  CHECK(Bytes(q.begin() + 40, q.begin() + 60) == s);
  Bytes o = pad({0x2a, 0x54, 0x00, 0x3c}, 20, 0x00);
  o[4 + 5] = 0x0f;
  CHECK(Bytes(q.begin() + 60, q.end()) == o);
  const auto c = codesOf(f, q);
  CHECK(c[2] == 3);  // 2.5 + 0.5 = 3: a tie goes up
  CHECK(c[20] == 7);
  const auto d = dequantRaw(f, q, x.size());
  const std::vector<float> da = {-1, 14, 2, 0, 1, 14, -1};
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(d[i] == da[i]);
  CHECK(d[20] == 6.0f);
  for (std::size_t i = 32; i < 96; ++i) CHECK(posZero(d[i]));
  CHECK(d[96 + 5] == 1000.375f);  // 15 * 66.625 + 1
  CHECK(d[96] == 1.0f);
}

TEST_CASE("ggml q5_0 raw blocks: the fifth bit, ties, zero, subnormals, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::Q5_0;
  // max = -16: d = 1, c = min(31, (int8)(x + 16.5)).
  auto x = block({{0, -16.0f}, {1, 16.0f}, {2, 0.5f}, {3, -0.5f}, {4, kBelowHalf}, {5, 3.2f}, {17, -3.7f}, {20, 16.0f}});
  auto zero = block({});                          // d = -0, codes 16: qh all ones
  auto sub = block({}, 32, kSub);                 // codes 0
  auto big = block({{5, 1000.0f}}, 32, 1.0f);     // d = -62.5 (0xd3d0)
  for (auto* b : {&zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 4 * 22);
  Bytes a = pad({0x00, 0x3c, 0xfe, 0xff, 0xfd, 0xff, 0x00, 0xcf, 0x01, 0x00, 0xf1, 0x03}, 22, 0x00);
  CHECK(Bytes(q.begin(), q.begin() + 22) == a);
  Bytes z = pad({0x00, 0x80, 0xff, 0xff, 0xff, 0xff}, 22, 0x00);
  CHECK(Bytes(q.begin() + 22, q.begin() + 44) == z);
  Bytes s = pad({0x00, 0x80}, 22, 0x00);
  CHECK(Bytes(q.begin() + 44, q.begin() + 66) == s);
  Bytes o = pad({0xd0, 0xd3, 0xdf, 0xff, 0xff, 0xff}, 22, 0x00);
  CHECK(Bytes(q.begin() + 66, q.end()) == o);
  CHECK(codesOf(f, q) == Bytes({0, 31, 17, 16, 17, 19, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
                                16, 12, 16, 16, 31, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16}));
  const auto d = dequantRaw(f, q, x.size());
  const std::vector<float> da = {-16, 15, 1, 0, 1, 3};
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(d[i] == da[i]);
  CHECK(d[17] == -4.0f);
  CHECK(d[20] == 15.0f);
  for (std::size_t i = 32; i < 64; ++i) CHECK(negZero(d[i]));
  for (std::size_t i = 64; i < 96; ++i) CHECK(posZero(d[i]));
  CHECK(d[96 + 5] == 1000.0f);
  CHECK(negZero(d[96]));
}

TEST_CASE("ggml q5_1 raw blocks: no clamp, ties up, zero, subnormals, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::Q5_1;
  // min -1, max 30: d = 1, m = -1, c = (uint8)(x + 1 + 0.5).
  auto x = block({{0, -1.0f}, {1, 30.0f}, {2, 1.5f}, {3, 14.4f}, {4, 15.1f}, {18, 25.0f}}, 32, -1.0f);
  auto zero = block({});
  auto sub = block({{0, -kSub}}, 32, kSub);
  auto big = block({{5, 1000.0f}}, 32, 1.0f);  // d = 999/31 -> fp16 32.21875 (0x5007)
  for (auto* b : {&zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 4 * 24);
  Bytes a = pad({0x00, 0x3c, 0x00, 0xbc, 0x12, 0x00, 0x04, 0x00, 0x00, 0x0f, 0xa3, 0x0f}, 24, 0x00);
  CHECK(Bytes(q.begin(), q.begin() + 24) == a);
  CHECK(Bytes(q.begin() + 24, q.begin() + 48) == Bytes(24, 0x00));
  Bytes s = pad({0x00, 0x00, 0x00, 0x80}, 24, 0x00);
  CHECK(Bytes(q.begin() + 48, q.begin() + 72) == s);
  Bytes o = pad({0x07, 0x50, 0x00, 0x3c, 0x20, 0x00, 0x00, 0x00}, 24, 0x00);
  o[8 + 5] = 0x0f;
  CHECK(Bytes(q.begin() + 72, q.end()) == o);
  const auto c = codesOf(f, q);
  CHECK(c[1] == 31);  // 31.5 -> 31
  CHECK(c[2] == 3);
  CHECK(c[18] == 26);
  const auto d = dequantRaw(f, q, x.size());
  const std::vector<float> da = {-1, 30, 2, 14, 15, -1};
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(d[i] == da[i]);
  CHECK(d[18] == 25.0f);
  for (std::size_t i = 32; i < 96; ++i) CHECK(posZero(d[i]));
  CHECK(d[96 + 5] == 999.78125f);  // 31 * 32.21875 + 1
  CHECK(d[96] == 1.0f);
}

TEST_CASE("ggml iq4_nl and iq4_nl-ntry7: ties go up, zero, subnormals, outlier", "[formats][ggml]") {
  // iq4_nl (ntry = -1): max = -127, first-pass id = 1, so the codes are best_index(x); ties go to
  // the upper table value. d = sumqx / sumq2 over x = -127, 7, -115.5, -4.5 (w = x*x) in float32:
  // 420392096 / 404441120 = 1.03944 -> fp16 1.0390625 (0x3c28).
  auto ties = block({{0, -127.0f}, {1, 7.0f}, {2, -115.5f}, {3, -4.5f}});
  auto zero = block({});
  auto sub = block({{1, -kSub}}, 32, kSub);  // amax < GROUP_MAX_EPS: as all zero
  // One outlier: d = 10 for both (ntry7: first pass -11.24, then itry = -7 wins), the zeros get
  // table value 1, i.e. 10.
  auto big = block({{0, -1270.0f}});
  // The table itself (each value twice): d = 1 exactly, every value kept.
  std::vector<float> table(32);
  for (std::size_t j = 0; j < 32; ++j) table[j] = kIq4[j % 16];
  std::vector<float> x = ties;
  for (auto* b : {&zero, &sub, &big, &table}) x.insert(x.end(), b->begin(), b->end());

  const Bytes q = quantRaw(TensorFormat::IQ4_NL, x);
  REQUIRE(q.size() == 5 * 18);
  Bytes a = pad({0x28, 0x3c, 0x80, 0x89, 0x81}, 18, 0x88);
  CHECK(Bytes(q.begin(), q.begin() + 18) == a);
  Bytes z = pad({0x00, 0x00}, 18, 0x88);  // our defined codes for the all-zero block: 8 (the reference leaves them stale)
  CHECK(Bytes(q.begin() + 18, q.begin() + 36) == z);
  CHECK(Bytes(q.begin() + 36, q.begin() + 54) == z);
  Bytes o = pad({0x00, 0x49, 0x80}, 18, 0x88);
  CHECK(Bytes(q.begin() + 54, q.begin() + 72) == o);
  Bytes t = {0x00, 0x3c};
  for (int j = 0; j < 16; ++j) t.push_back(std::uint8_t(j | j << 4));
  CHECK(Bytes(q.begin() + 72, q.end()) == t);
  const auto d = dequantRaw(TensorFormat::IQ4_NL, q, x.size());
  CHECK(d[0] == -131.9609375f);  // 1.0390625 * -127
  CHECK(d[1] == 13.5078125f);
  CHECK(d[2] == -108.0625f);
  CHECK(d[3] == 1.0390625f);
  for (std::size_t i = 32; i < 96; ++i) CHECK(posZero(d[i]));
  CHECK(d[96] == -1270.0f);
  CHECK(d[97] == 10.0f);
  for (std::size_t i = 0; i < 32; ++i) CHECK(d[128 + i] == table[i]);

  // ntry7: zero, subnormal, outlier and table blocks give the same bytes.
  const Bytes q7 = quantRaw(TensorFormat::IQ4_NL_NTRY7, x);
  REQUIRE(q7.size() == q.size());
  CHECK(Bytes(q7.begin() + 18, q7.end()) == Bytes(q.begin() + 18, q.end()));
}

TEST_CASE("ggml iq4_xs: 6-bit sub-block scales, ties, zero, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::IQ4_XS;
  // Sub-block 0 is the table (scale 1), sub-block 1 half of it with two ties (scale ~0.5), the rest
  // zero. d = -1/32 (0xa800), l = -32, -16, 0...: dl = 1 and 0.5, so the codes are best_index(x)
  // and best_index(2x): 2 * 3.5 = 7 goes up to 13 (index 9), 2 * -2.25 = -4.5 up to 1 (index 8).
  std::vector<float> x(256, 0.0f);
  for (std::size_t j = 0; j < 32; ++j) x[j] = kIq4[j % 16];
  for (std::size_t j = 0; j < 32; ++j) x[32 + j] = 0.5f * kIq4[j % 16];
  x[32 + 20] = 3.5f;
  x[32 + 21] = -2.25f;
  std::vector<float> zero(256, 0.0f), sub(256, kSub);
  // An outlier sub-block: 100 x the table; the table in the other seven gets l = round(-0.32) = 0.
  std::vector<float> big(256);
  for (std::size_t j = 0; j < 256; ++j) big[j] = (j < 32 ? 100.0f : 1.0f) * kIq4[j % 16];
  for (auto* b : {&zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 4 * 136);
  CHECK(q[0] == 0x00);
  CHECK(q[1] == 0xa8);
  CHECK(q[2] == 0xa4);  // scales_h: ls 0, 16, 32 x 6 -> 0xaaa4
  CHECK(q[3] == 0xaa);
  for (int i = 4; i < 8; ++i) CHECK(q[std::size_t(i)] == 0x00);
  for (int j = 0; j < 16; ++j) CHECK(q[8 + std::size_t(j)] == std::uint8_t(j | j << 4));
  const auto c = codesOf(f, q);
  for (std::size_t j = 0; j < 32; ++j) {
    INFO(j);
    CHECK(c[32 + j] == (j == 20 ? 9 : j == 21 ? 8 : j % 16));
  }
  for (std::size_t j = 64; j < 256; ++j) CHECK(c[j] == 8);
  // All zero (and all subnormal): d = -0/32 = -0 (0x8000), ls = 32, codes 8.
  for (std::size_t b : {1u, 2u}) {
    const std::uint8_t* z = q.data() + 136 * b;
    CHECK(z[0] == 0x00);
    CHECK(z[1] == 0x80);
    CHECK(z[2] == 0xaa);
    CHECK(z[3] == 0xaa);
    for (int i = 4; i < 8; ++i) CHECK(z[i] == 0x00);
    for (int i = 8; i < 136; ++i) CHECK(z[i] == 0x88);
  }
  const std::uint8_t* o = q.data() + 136 * 3;
  CHECK(o[0] == 0x40);  // d = -100/32 = -3.125: 0xc240
  CHECK(o[1] == 0xc2);
  CHECK(o[2] == 0xa8);  // ls 0, then 32 x 7: 0xaaa8
  CHECK(o[3] == 0xaa);
  for (int i = 4; i < 8; ++i) CHECK(o[i] == 0x00);
  for (int j = 0; j < 16; ++j) CHECK(o[8 + j] == std::uint8_t(j | j << 4));
  for (int i = 8 + 16; i < 136; ++i) CHECK(o[i] == 0x88);
  const auto d = dequantRaw(f, q, x.size());
  for (std::size_t j = 0; j < 32; ++j) CHECK(d[j] == x[j]);
  CHECK(d[32 + 20] == 6.5f);
  CHECK(d[32 + 21] == 0.5f);
  CHECK(d[32 + 22] == x[32 + 22]);
  for (std::size_t j = 64; j < 256; ++j) CHECK(negZero(d[j]));  // dl = -1/32 * 0
  for (std::size_t j = 256; j < 768; ++j) CHECK(negZero(d[j]));
  for (std::size_t j = 0; j < 32; ++j) CHECK(d[768 + j] == big[j]);
  for (std::size_t j = 32; j < 256; ++j) CHECK(negZero(d[768 + j]));  // the outlier's neighbours become 0
}

TEST_CASE("ggml mxfp4: ties toward zero, the log2f rule, the exponent wrap, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::GgmlMXFP4;
  // amax 6: e = floor(log2 6) - 2 + 127 = 127, halved scale 0.5: the grid 0 .. 6.
  auto x = block({{0, 6.0f}, {1, 0.25f}, {2, -0.25f}, {3, 2.5f}, {4, -5.0f}, {5, 0.75f}, {6, -1.75f}, {17, 3.5f}});
  auto zero = block({});
  auto sub = block({}, 32, kSub);  // floor(log2 1e-40) = -133: -8 as uint8 = 248, every code 0
  const float below256 = std::nextafter(256.0f, 0.0f);
  auto edge1 = block({{0, below256}});                           // log2f rounds up to 8: e = 133
  auto edge2 = block({{0, std::nextafter(below256, 0.0f)}});     // still 8
  auto edge3 = block({{0, std::nextafter(std::nextafter(below256, 0.0f), 0.0f)}});  // 7.9999995: e = 132
  auto big = block({{0, 1000.0f}}, 32, 1.0f);  // e = 134: 1000 saturates to 6 * 128 = 768
  for (auto* b : {&zero, &sub, &edge1, &edge2, &edge3, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 7 * 17);
  Bytes a = pad({0x7f, 0x07, 0x50, 0x00, 0x04, 0x0e, 0x01, 0x0b}, 17, 0x00);
  CHECK(Bytes(q.begin(), q.begin() + 17) == a);
  CHECK(Bytes(q.begin() + 17, q.begin() + 34) == Bytes(17, 0x00));
  Bytes s(17, 0x00);
  s[0] = 248;
  CHECK(Bytes(q.begin() + 34, q.begin() + 51) == s);
  CHECK(q[51] == 133);
  CHECK(q[52] == 0x06);  // 256 - 2^-16 -> 256 (code 6 at scale 32)
  CHECK(q[68] == 133);
  CHECK(q[85] == 132);
  CHECK(q[86] == 0x07);  // halved scale 16: 12 * 16 = 192 is the largest, 255.99995 saturates
  Bytes o(17, 0x00);
  o[0] = 134;
  o[1] = 0x07;
  CHECK(Bytes(q.begin() + 102, q.end()) == o);
  const auto d = dequantRaw(f, q, x.size());
  const std::vector<float> da = {6, 0, 0, 2, -4, 0.5f, -1.5f};
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(d[i] == da[i]);
  CHECK(posZero(d[2]));  // -0.25 ties to code 0 (+0), never code 8 (-0)
  CHECK(d[17] == 3.0f);
  for (std::size_t i = 32; i < 96; ++i) CHECK(posZero(d[i]));
  CHECK(d[96] == 256.0f);
  CHECK(d[160] == 192.0f);
  CHECK(d[192] == 768.0f);
  CHECK(d[193] == 0.0f);
}

TEST_CASE("ggml nvfp4: ggml's UE4M3, ties toward zero, zero, subnormals, outlier", "[formats][ggml]") {
  const auto f = TensorFormat::GgmlNVFP4;
  // Sub-block 0: amax 6 -> v = 1 (0x38), halved 0.5: the ties of E2M1. Sub-block 1: v = 1.0625,
  // the 4th bit rounds up: 1.125 (0x39). Sub-block 2: v = 300 -> 448 (0x7e). Sub-block 3:
  // v = 3 * 2^-9, a UE4M3 subnormal (0x03).
  std::vector<float> x(64, 0.0f);
  const std::vector<std::pair<int, float>> s0 = {{0, 6.0f}, {1, 0.25f}, {2, -0.25f}, {3, 2.5f},
                                                 {4, -5.0f}, {5, 0.75f}, {6, -1.75f}, {9, 3.5f}};
  for (auto [i, v] : s0) x[std::size_t(i)] = v;
  x[16] = 6.375f;
  x[32] = 1800.0f;
  x[48] = 0.03515625f;
  // Scales only: v = 7.5 * 2^-9 rounds to 8 subnormal steps, kept at 7 (0x07); v = 2^-6 (0x08);
  // v = 1.9375 carries into the exponent: 2.0 (0x40); v = 1e-40/6 -> 0.
  std::vector<float> scales(64, 0.0f);
  scales[0] = 6.0f * 7.5f * 0x1p-9f;
  scales[16] = 6.0f * 0x1p-6f;
  scales[32] = 6.0f * 1.9375f;
  scales[48] = kSub;
  std::vector<float> zero(64, 0.0f), sub(64, kSub);
  std::vector<float> big(64, 1.0f);
  big[0] = 1000.0f;  // v = 166.67 -> 160 (0x72): 1000 -> 960; the other 15 -> 0; the ones elsewhere v = 1/6 -> 0.171875 (0x23)
  for (auto* b : {&scales, &zero, &sub, &big}) x.insert(x.end(), b->begin(), b->end());
  const Bytes q = quantRaw(f, x);
  REQUIRE(q.size() == 5 * 36);
  Bytes a = pad({0x38, 0x39, 0x7e, 0x03, 0x07, 0x50, 0x00, 0x04, 0x0e, 0x01, 0x0b, 0x00}, 36, 0x00);
  a[4 + 8] = 0x07;   // 6.375 at halved scale 0.5625: 6.75 (code 7)
  a[4 + 16] = 0x06;  // 1800 at halved 224: 4 * 448 = 1792 (code 6)
  a[4 + 24] = 0x07;  // 0.03515625 = 6 * 3 * 2^-9 (code 7)
  CHECK(Bytes(q.begin(), q.begin() + 36) == a);
  CHECK(q[36] == 0x07);
  CHECK(q[37] == 0x08);
  CHECK(q[38] == 0x40);
  CHECK(q[39] == 0x00);
  CHECK(Bytes(q.begin() + 72, q.begin() + 144) == Bytes(72, 0x00));  // zero and subnormal blocks
  Bytes o = pad({0x72, 0x23, 0x23, 0x23, 0x07, 0, 0, 0, 0, 0, 0, 0}, 36, 0x77);
  CHECK(Bytes(q.begin() + 144, q.end()) == o);
  const auto d = dequantRaw(f, q, x.size());
  const std::vector<float> da = {6, 0, 0, 2, -4, 0.5f, -1.5f};
  for (std::size_t i = 0; i < da.size(); ++i) CHECK(d[i] == da[i]);
  CHECK(posZero(d[2]));
  CHECK(d[9] == 3.0f);
  CHECK(d[16] == 6.75f);
  CHECK(d[32] == 1792.0f);
  CHECK(d[48] == 0.03515625f);
  for (std::size_t i = 128; i < 256; ++i) CHECK(posZero(d[i]));
  CHECK(d[256] == 960.0f);
  CHECK(d[257] == 0.0f);
  for (std::size_t i = 256 + 16; i < 320; ++i) CHECK(d[i] == 1.03125f);
}

TEST_CASE("ggml raw formats: a length that is not a whole number of blocks is refused", "[formats][ggml]") {
  for (TensorFormat f : ours()) {
    const FormatDesc& d = formatDesc(f);
    if (!d.isRaw()) continue;  // q8_0, q4_0: the per-value path pads a partial last block (below)
    INFO(d.name);
    const std::size_t bv = std::size_t(d.raw.blockValues), n = 2 * bv + 1;
    std::vector<float> x(n, 1.0f);
    BlockwiseSettings s;
    s.format = f;
    const Status v = validateBlockwiseShape(s, n);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().find("multiple of " + std::to_string(bv)) != std::string::npos);
    CHECK(v.error().find(std::to_string(n)) != std::string::npos);
    Bytes out;
    const Status r = quantizeRawBlocks(x.data(), n, s, out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == v.error());
    CHECK_FALSE(quantizeBlockwise(x.data(), n, s).ok());
    CHECK(validateBlockwiseShape(s, 2 * bv).ok());
  }
  // q8_0 and q4_0 keep their zero-padded partial block, and their ggml blocks pad it the same way.
  std::vector<float> x(33, 0.0f);
  x[32] = 4.0f;
  BlockwiseSettings s;
  s.format = TensorFormat::Q4_0;
  auto q = quantizeBlockwise(x.data(), x.size(), s);
  REQUIRE(q.ok());
  REQUIRE(q->blocks.size() == 36);
  CHECK(q->blocks[18] == 0x00);  // d = 4 / -8 = -0.5: 0xb800
  CHECK(q->blocks[19] == 0xb8);
  CHECK(q->blocks[20] == 0x80);  // code 0 for 4, 8 for the padding
}

TEST_CASE("ggml raw formats: inspect() takes a block apart as dequantize reads it", "[formats][ggml]") {
  const auto x = loadF32("vectors/formats/inputs/heavy_8192.npy");
  for (TensorFormat f : ours()) {
    const Bytes q = quantRaw(f, x);
    const std::size_t blocks = q.size() / std::size_t(formatDesc(f).raw.blockBytes);
    for (std::size_t b : {std::size_t(0), std::size_t(1), blocks - 1}) checkInspect(f, q, b);
  }
  // The constants of one block each, in storage order.
  std::vector<float> t(32, -1.0f);
  t[0] = -1.0f;
  t[1] = 14.0f;
  auto v = inspectBlock(quantizeBlockwise(t.data(), t.size(), [] {
                          BlockwiseSettings s;
                          s.format = TensorFormat::Q4_1;
                          return s;
                        }()).value(), 0);
  REQUIRE(v.ok());
  REQUIRE(v->constants.size() == 2);
  CHECK(v->constants[0].name == "d");
  CHECK(v->constants[0].raw == 0x3c00);
  CHECK(v->constants[0].rawBits == 16);
  CHECK(v->constants[0].value == 1.0f);
  CHECK(v->constants[1].name == "m");
  CHECK(v->constants[1].raw == 0xbc00);
  CHECK(v->constants[1].value == -1.0f);
  REQUIRE(v->levels.size() == 1);
  REQUIRE(v->levels[0].size() == 16);
  CHECK(v->levels[0].front() == -1.0f);
  CHECK(v->levels[0].back() == 14.0f);

  // iq4_xs: d and eight 6-bit scales (value d * (ls - 32)), one level list per sub-block.
  std::vector<float> xs(256, 0.0f);
  for (std::size_t j = 0; j < 32; ++j) xs[j] = kIq4[j % 16];
  BlockwiseSettings s;
  s.format = TensorFormat::IQ4_XS;
  auto qx = quantizeBlockwise(xs.data(), xs.size(), s);
  REQUIRE(qx.ok());
  auto vx = inspectBlock(*qx, 0);
  REQUIRE(vx.ok());
  CHECK(vx->subBlocks == 8);
  REQUIRE(vx->constants.size() == 9);
  CHECK(vx->constants[0].raw == 0xa800);
  CHECK(vx->constants[0].value == -0.03125f);
  CHECK(vx->constants[1].name == "scale[0]");
  CHECK(vx->constants[1].raw == 0);
  CHECK(vx->constants[1].rawBits == 6);
  CHECK(vx->constants[1].value == 1.0f);
  CHECK(vx->constants[2].raw == 32);
  CHECK(negZero(vx->constants[2].value));
  CHECK(vx->levels[0] == std::vector<float>(std::begin(kIq4), std::end(kIq4)));
  CHECK(vx->levels[1] == std::vector<float>{0.0f});
  CHECK_FALSE(inspectBlock(*qx, 1).ok());

  // ggml-mxfp4: the E8M0 code and its scale 2^(e-127); ggml-nvfp4: four UE4M3 scales.
  s.format = TensorFormat::GgmlMXFP4;
  std::vector<float> m(32, 0.0f);
  m[0] = 6.0f;
  auto vm = inspectBlock(quantizeBlockwise(m.data(), m.size(), s).value(), 0);
  REQUIRE(vm.ok());
  REQUIRE(vm->constants.size() == 1);
  CHECK(vm->constants[0].name == "e8m0");
  CHECK(vm->constants[0].raw == 127);
  CHECK(vm->constants[0].value == 1.0f);
  CHECK(vm->levels[0] == std::vector<float>{-6, -4, -3, -2, -1.5f, -1, -0.5f, 0, 0.5f, 1, 1.5f, 2, 3, 4, 6});
  s.format = TensorFormat::GgmlNVFP4;
  std::vector<float> nv(64, 0.0f);
  nv[0] = 6.0f;
  nv[16] = 1800.0f;
  auto vn = inspectBlock(quantizeBlockwise(nv.data(), nv.size(), s).value(), 0);
  REQUIRE(vn.ok());
  CHECK(vn->subBlocks == 4);
  REQUIRE(vn->constants.size() == 4);
  CHECK(vn->constants[0].raw == 0x38);
  CHECK(vn->constants[0].value == 1.0f);
  CHECK(vn->constants[1].name == "scale[1]");
  CHECK(vn->constants[1].raw == 0x7e);
  CHECK(vn->constants[1].value == 448.0f);
  CHECK(vn->constants[2].value == 0.0f);
  CHECK(vn->levels[2] == std::vector<float>{0.0f});
}

TEST_CASE("ggml raw formats: our blocks, codes and values equal the reference vectors", "[formats][ggml][vectors]") {
  for (const char* input : {"normal_8192", "heavy_8192"}) {
    const auto x = loadF32(std::string("vectors/formats/inputs/") + input + ".npy");
    for (TensorFormat f : ours()) {
      const FormatDesc& d = formatDesc(f);
      INFO(d.name << " on " << input);
      const std::string dir = std::string("vectors/formats/") + input + "." + vectorDir(f) + "/";
      const auto ref = readFile(qviz::test::data(dir + "blocks.bin"));
      const auto deq = loadF32(dir + "dequant.npy");
      BlockwiseSettings s;
      s.format = f;
      auto q = quantizeBlockwise(x.data(), x.size(), s);
      REQUIRE(q.ok());
      CHECK(q->blocks == ref);
      // dequantize(quantize(x)) is the reference's dequantization, bit for bit.
      std::vector<float> out(x.size());
      dequantizeBlockwise(*q, out.data());
      std::size_t bad = 0;
      for (std::size_t i = 0; i < x.size(); ++i) bad += sameBits(out[i], deq[i]) ? 0 : 1;
      CHECK(bad == 0);
      // Each block's codes from codes() and from the layout.
      const std::size_t bb = std::size_t(d.raw.blockBytes), bv = std::size_t(d.raw.blockValues);
      std::size_t codeMismatch = 0, oldMismatch = 0;
      for (std::size_t b = 0; b * bb < ref.size(); ++b) {
        const Bytes c = codesOf(f, ref, b), l = layoutCodes(f, ref.data() + b * bb);
        codeMismatch += c == l ? 0 : 1;
        for (std::size_t j = 0; j < bv; ++j) {
          const std::size_t i = b * bv + j;
          if (d.isRaw()) {
            oldMismatch += q->codes[i] == c[j] ? 0 : 1;
          } else if (f == TensorFormat::Q8_0) {
            // The per-value codes stay offset binary (q + 128) and absmax the fp16 d.
            oldMismatch += q->codes[i] == std::uint8_t(c[j] ^ 0x80) ? 0 : 1;
          } else {
            // q4_0: the per-value code is the nibble; `packed` keeps value 2j in the high nibble.
            const std::uint8_t p = q->packed[i / 2];
            oldMismatch += q->codes[i] == c[j] && (i % 2 ? p & 15 : p >> 4) == c[j] ? 0 : 1;
          }
        }
        if (!d.isRaw()) oldMismatch += q->absmax[b] == halfToFloat(std::uint16_t(ref[b * bb] | ref[b * bb + 1] << 8)) ? 0 : 1;
      }
      CHECK(codeMismatch == 0);
      CHECK(oldMismatch == 0);
    }
  }
}
