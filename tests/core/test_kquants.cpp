// ggml's k-quants (Q2_K .. Q6_K, FORMATS.md §3) at their edges: all-zero and subnormal-only
// super-blocks (bytes derived by hand from the contract), a single outlier, lengths that are not a
// multiple of 256, the codes and the block inspector against the dequantizer, and the lane (SIMD)
// quantizer against the scalar contract path on many random super-blocks. CTest runs this file
// once more with QVIZ_SIMD=0, where the codec itself takes the scalar path.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/format_table.hpp"
#include "quant/formats/ggml_common.hpp"
#include "quant/formats/ggml_kquants.hpp"
#include "tensor/npy.hpp"
#include "test_support.hpp"

using namespace qviz::core;

namespace {

struct KFormat {
  const char* name;
  TensorFormat format;
  int bytes;       // per super-block
  int subBlocks;   // 16 of 16 or 8 of 32
  int codeCount;   // 2^bits
  const char* dir; // the vectors' directory suffix
};
const std::vector<KFormat>& kFormats() {
  static const std::vector<KFormat> v = {
      {"q2_k", TensorFormat::Q2_K, 84, 16, 4, "q2_K"},   {"q3_k", TensorFormat::Q3_K, 110, 16, 8, "q3_K"},
      {"q4_k", TensorFormat::Q4_K, 144, 8, 16, "q4_K"},  {"q5_k", TensorFormat::Q5_K, 176, 8, 32, "q5_K"},
      {"q6_k", TensorFormat::Q6_K, 210, 16, 64, "q6_K"},
  };
  return v;
}

std::uint32_t bitsOf(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::vector<std::uint8_t> quantize(const KFormat& k, const std::vector<float>& x) {
  BlockwiseSettings s;
  s.format = k.format;
  std::vector<std::uint8_t> out;
  auto st = quantizeRawBlocks(x.data(), x.size(), s, out);
  INFO(st.error());
  REQUIRE(st.ok());
  REQUIRE(out.size() == x.size() / 256 * std::size_t(k.bytes));
  return out;
}
std::vector<float> dequantize(const KFormat& k, const std::vector<std::uint8_t>& blocks, std::size_t n) {
  BlockwiseSettings s;
  s.format = k.format;
  std::vector<float> y(n);
  REQUIRE(dequantizeRawBlocks(blocks.data(), blocks.size(), n, s, y.data()).ok());
  return y;
}
BlockView inspect(const KFormat& k, const std::vector<std::uint8_t>& blocks, std::size_t b) {
  QuantizedTensor q;
  q.format = k.format;
  q.n = blocks.size() / std::size_t(k.bytes) * 256;
  q.blocks = blocks;
  auto v = inspectBlock(q, b);
  REQUIRE(v.ok());
  return *v;
}
const BlockView::Constant& named(const BlockView& v, const std::string& name) {
  for (const auto& c : v.constants)
    if (c.name == name) return c;
  FAIL("no constant " << name);
  return v.constants.front();
}

// The value of element e as the inspector's constants and codes say (FORMATS.md §3 dequantize).
float valueFromView(const KFormat& k, const BlockView& v, int e) {
  const int sub = e / (256 / v.subBlocks);
  const float dl = named(v, "scale[" + std::to_string(sub) + "]").value;
  const int code = v.codes[std::size_t(e)];
  switch (k.format) {
    case TensorFormat::Q2_K:
    case TensorFormat::Q4_K:
    case TensorFormat::Q5_K: return dl * float(code) - named(v, "min[" + std::to_string(sub) + "]").value;
    case TensorFormat::Q3_K: return dl * float(code - 4);
    default: return dl * float(code - 32);
  }
}

}  // namespace

TEST_CASE("k-quants: ggml's nearest_int on the values the subnormal path feeds it", "[kquants]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(ggml::nearestInt(inf) == -4194304);
  CHECK(ggml::nearestInt(-inf) == -4194304);
  CHECK(ggml::nearestInt(std::numeric_limits<float>::quiet_NaN()) == 0);
  CHECK(ggml::nearestInt(-std::numeric_limits<float>::quiet_NaN()) == 0);
  CHECK(ggml::nearestInt(inf * 0.0f) == 0);  // the NaN of inf * 0 (x[i] == min)
  CHECK(ggml::nearestInt(-0.0f) == 0);
  CHECK(ggml::nearestInt(2.5f) == 2);
  CHECK(ggml::nearestInt(3.5f) == 4);
  CHECK(ggml::nearestInt(-2.5f) == -2);
  CHECK(ggml::nearestInt(14.49f) == 14);
  // What the quantizers then store: (uint8) of -4194304, and of it shifted into Q2_K's min nibble.
  CHECK(std::uint8_t(-4194304) == 0);
  CHECK(std::uint8_t(-4194304 << 4) == 0);
}

// All-zero super-block. Q2_K/Q4_K/Q5_K: every sub-block has max == min == 0, so scale 0 and
// the_min = -0; max_scale = max_min = 0 give zero scale bytes and d = dmin = 0, and the codes stay 0.
// Q3_K/Q6_K: amax < GROUP_MAX_EPS, codes 0 and scale 0; Q6_K then writes all 210 bytes as 0.
// Decoding: Q2_K/Q4_K/Q5_K 0*0 - 0*0 = +0; Q3_K (0 * (0-32)) * (0-4) = (-0)*(-4) = +0;
// Q6_K (0 * 0) * (0-32) = -0.
TEST_CASE("k-quants: an all-zero super-block is all zero bytes and decodes to exact zeros", "[kquants]") {
  for (const KFormat& k : kFormats()) {
    INFO(k.name);
    const std::vector<float> x(512, 0.0f);
    const auto blocks = quantize(k, x);
    CHECK(std::all_of(blocks.begin(), blocks.end(), [](std::uint8_t b) { return b == 0; }));
    const auto y = dequantize(k, blocks, x.size());
    const std::uint32_t zero = k.format == TensorFormat::Q6_K ? 0x80000000u : 0u;
    for (float v : y) CHECK(bitsOf(v) == zero);
  }
}

// Only float32 subnormals, |x| <= 200 * 2^-149, of both signs. Q2_K/Q4_K/Q5_K (helper A): max - min
// is subnormal, so iscale = nmax/(max - min) = +inf in every step; iscale * (x - min) is NaN where
// x == min and +inf elsewhere, nearest_int gives 0 and -4194304, both clamp to code 0; every sum of
// w*l is 0, D = 0, no step is taken: scale 0, the_min = -min (a positive subnormal, or -0). Then
// max_scale = 0 (scale bytes 0, d = 0); max_min > 0 gives iscale = 63/max_min (15/max_min) = +inf,
// nearest_int(+inf * the_min) = -4194304 whose (uint8) (Q2_K: << 4 kept mod 256) is 0, and of
// inf * -0 = NaN is 0; dmin = fp16(max_min/63) = 0. Q3_K/Q6_K: amax < GROUP_MAX_EPS. So every byte
// is 0 and the values decode as the all-zero block's.
TEST_CASE("k-quants: a subnormal-only super-block takes ggml's +-inf path to all zero bytes", "[kquants]") {
  std::vector<float> x(256);
  std::mt19937 rng(7);
  for (auto& v : x) v = float(int(rng() % 401) - 200) * std::ldexp(1.0f, -149);
  x[5] = -200 * std::ldexp(1.0f, -149);
  for (float v : x) REQUIRE(std::fpclassify(v) != FP_NORMAL);
  for (const KFormat& k : kFormats()) {
    INFO(k.name);
    const auto blocks = quantize(k, x);
    std::vector<std::uint8_t> scalar(blocks.size());
    REQUIRE(ggml::kquantQuantizeScalar(k.format, x.data(), 1, scalar.data()));
    CHECK(scalar == blocks);
    CHECK(std::all_of(blocks.begin(), blocks.end(), [](std::uint8_t b) { return b == 0; }));
    const auto y = dequantize(k, blocks, x.size());
    const std::uint32_t zero = k.format == TensorFormat::Q6_K ? 0x80000000u : 0u;
    for (float v : y) CHECK(bitsOf(v) == zero);
  }
}

// One value of 1000 in a super-block of zeros. The all-zero sub-blocks get scale field 0 and
// decode to exact zeros; the outlier gets an extreme code and comes back on its nearest level,
// within the fp16 d and 6-bit (4-bit, int8) scale rounding.
TEST_CASE("k-quants: a single outlier in a zero super-block", "[kquants]") {
  std::vector<float> x(256, 0.0f);
  const int at = 37;  // Q4_K/Q5_K sub-block 1, the others' sub-block 2
  x[at] = 1000.0f;
  for (const KFormat& k : kFormats()) {
    INFO(k.name);
    const auto blocks = quantize(k, x);
    const auto y = dequantize(k, blocks, 256);
    const BlockView v = inspect(k, blocks, 0);
    const int per = 256 / k.subBlocks, outSub = at / per;
    for (int e = 0; e < 256; ++e) {
      if (e / per == outSub) continue;
      INFO("element " << e);
      CHECK(y[std::size_t(e)] == 0.0f);
    }
    for (int j = 0; j < k.subBlocks; ++j)
      if (j != outSub) CHECK(named(v, "scale[" + std::to_string(j) + "]").raw == (k.format == TensorFormat::Q3_K ? 32u : 0u));
    CHECK(std::fabs(y[at] - 1000.0f) <= 1000.0f * 0.002f);
    // The requantization puts the outlier on its sub-block's level nearest to it.
    const auto& lv = v.levels[std::size_t(outSub)];
    float nearest = lv.front();
    for (float l : lv)
      if (std::fabs(l - 1000.0f) < std::fabs(nearest - 1000.0f)) nearest = l;
    CHECK(y[at] == nearest);
    const int code = v.codes[at];
    if (k.format == TensorFormat::Q6_K || k.format == TensorFormat::Q3_K)
      CHECK(code <= 1);  // a negative scale (the first argmax is positive): the lowest codes
    else
      CHECK(code == k.codeCount - 1);
  }
}

TEST_CASE("k-quants: a length that is not a multiple of 256 is refused, saying why", "[kquants]") {
  for (const KFormat& k : kFormats()) {
    INFO(k.name);
    const std::vector<float> x(300, 0.5f);
    BlockwiseSettings s;
    s.format = k.format;
    std::vector<std::uint8_t> out;
    auto st = quantizeRawBlocks(x.data(), x.size(), s, out);
    REQUIRE(!st.ok());
    CHECK(st.error().find("multiple of 256") != std::string::npos);
    CHECK(st.error().find("300") != std::string::npos);
    CHECK(st.error().find("44 left over") != std::string::npos);
  }
}

// The codes and the inspector's constants rebuild every value exactly as the dequantizer does.
TEST_CASE("k-quants: codes and inspect() agree with the bytes and the dequantizer", "[kquants]") {
  std::vector<float> x(256 * 16);
  std::mt19937 rng(11);
  std::student_t_distribution<float> td(3.0f);
  for (auto& v : x) v = td(rng) * 0.05f;
  for (std::size_t i = 0; i < 256; ++i) x[256 * 3 + i] = std::fabs(x[256 * 3 + i]);  // all positive
  for (std::size_t i = 0; i < 32; ++i) x[256 * 5 + i] = 0.25f;                        // a constant sub-block
  for (const KFormat& k : kFormats()) {
    INFO(k.name);
    const auto blocks = quantize(k, x);
    const auto y = dequantize(k, blocks, x.size());
    const FormatDesc& d = formatDesc(k.format);
    for (std::size_t b = 0; b < x.size() / 256; ++b) {
      INFO("super-block " << b);
      const BlockView v = inspect(k, blocks, b);
      CHECK(v.subBlocks == k.subBlocks);
      CHECK(v.structure.rfind("super-block of 256: ", 0) == 0);
      REQUIRE(v.codes.size() == 256);
      REQUIRE(v.values.size() == 256);
      REQUIRE(v.levels.size() == std::size_t(k.subBlocks));
      std::uint8_t codes[256];
      d.raw.codes(blocks.data() + b * std::size_t(k.bytes), codes);
      const float dv = named(v, "d").value;
      CHECK(bitsOf(dv) == bitsOf(ggml::f32(std::uint16_t(named(v, "d").raw))));
      for (int e = 0; e < 256; ++e) {
        INFO("element " << e);
        CHECK(codes[e] == v.codes[std::size_t(e)]);
        CHECK(int(v.codes[std::size_t(e)]) < k.codeCount);
        const float want = y[b * 256 + std::size_t(e)];
        CHECK(bitsOf(v.values[std::size_t(e)]) == bitsOf(want));
        CHECK(bitsOf(valueFromView(k, v, e)) == bitsOf(want));
        const auto& lv = v.levels[std::size_t(e / (256 / k.subBlocks))];
        CHECK(std::find(lv.begin(), lv.end(), want) != lv.end());
      }
      for (const auto& lv : v.levels) {
        CHECK(lv.size() == std::size_t(k.codeCount));
        CHECK(std::is_sorted(lv.begin(), lv.end()));
      }
      // Each sub-block scale's value is the decoded field times d, as dequantize forms it.
      for (int j = 0; j < k.subBlocks; ++j) {
        const auto& c = named(v, "scale[" + std::to_string(j) + "]");
        float field = float(c.raw);
        if (k.format == TensorFormat::Q3_K) field = float(int(c.raw) - 32);
        if (k.format == TensorFormat::Q6_K) field = float(std::int8_t(c.raw));
        CHECK(bitsOf(c.value) == bitsOf(dv * field));
      }
    }
  }
}

// The lane path equals the scalar contract path byte for byte on many random super-blocks of
// different shapes (normal, heavy-tailed with outliers, all positive, all negative, tiny, constant
// and zero sub-blocks, a few subnormals among normal values).
TEST_CASE("k-quants: the SIMD quantizer equals the scalar contract path bit for bit", "[kquants]") {
  const std::size_t blocks = 1536;
  std::vector<float> x(blocks * 256);
  std::mt19937 rng(20261202);
  std::normal_distribution<float> nd;
  std::student_t_distribution<float> td(2.0f);
  for (std::size_t b = 0; b < blocks; ++b) {
    float* p = x.data() + b * 256;
    const int kind = int(b % 8);
    const float scale = std::ldexp(1.0f, int(rng() % 40) - 20);
    for (int i = 0; i < 256; ++i) {
      float v = kind == 1 ? td(rng) : nd(rng);
      if (kind == 2) v = std::fabs(v);
      if (kind == 3) v = -std::fabs(v);
      if (kind == 4 && (i / 16) % 3 == 0) v = 0.0f;
      if (kind == 5 && (i / 32) % 2 == 0) v = 1.0f;
      if (kind == 6 && rng() % 16 == 0) v = std::ldexp(1.0f, -140) * float(int(rng() % 7) - 3);
      if (kind == 7 && rng() % 64 == 0) v *= 1000.0f;
      p[i] = v * scale;
    }
  }
  for (const KFormat& k : kFormats()) {
    INFO(k.name);
    std::vector<std::uint8_t> a(blocks * std::size_t(k.bytes)), b(a.size());
    REQUIRE(ggml::kquantQuantizeScalar(k.format, x.data(), blocks, a.data()));
    REQUIRE(ggml::kquantQuantizeSimd(k.format, x.data(), blocks, b.data()));
    std::size_t first = a.size();
    for (std::size_t i = 0; i < a.size() && first == a.size(); ++i)
      if (a[i] != b[i]) first = i;
    INFO("first differing byte " << first << " (super-block " << first / std::size_t(k.bytes) << ")");
    CHECK(first == a.size());
    // And the codec (whichever path QVIZ_SIMD selects, over the worker threads) gives the same.
    CHECK(quantize(k, x) == a);
  }
  CHECK(!ggml::kquantQuantizeScalar(TensorFormat::Q4_0, x.data(), 1, nullptr));
}

// The reference vectors through the codec as QVIZ_SIMD selects it (the portable-path CTest run
// makes this the scalar path).
TEST_CASE("k-quants: the reference vectors through the selected path", "[kquants]") {
  for (const KFormat& k : kFormats())
    for (const char* input : {"normal_8192", "heavy_8192"}) {
      INFO(k.name << " on " << input);
      auto in = readNpy(qviz::test::data(std::string("vectors/formats/inputs/") + input + ".npy"));
      REQUIRE(in.ok());
      const auto x = toFloat32(*in);
      std::ifstream f(qviz::test::data(std::string("vectors/formats/") + input + "." + k.dir + "/blocks.bin"),
                      std::ios::binary);
      const std::vector<std::uint8_t> want((std::istreambuf_iterator<char>(f)), {});
      REQUIRE(!want.empty());
      CHECK(quantize(k, x) == want);
    }
}
