// Block-wise formats against the bitsandbytes reference vectors (exact codes, packed bytes, absmax,
// dequantized values; absmax_dq to 1e-6) and hand-computed cases for every other format.
#include <catch2/catch.hpp>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <algorithm>
#include <random>

#include "quant/blockwise.hpp"
#include "tensor/npy.hpp"
#include "test_support.hpp"

using namespace qviz::core;

namespace {
std::vector<float> loadF32(const std::string& rel) {
  auto t = readNpy(qviz::test::data(rel));
  REQUIRE(t.ok());
  REQUIRE(t->dtype == DType::F32);
  return toFloat32(*t);
}
std::vector<std::uint8_t> loadU8(const std::string& rel) {
  auto t = readNpy(qviz::test::data(rel));
  REQUIRE(t.ok());
  REQUIRE(t->dtype == DType::U8);
  return t->bytes;
}
std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

QuantizedTensor quant(const std::vector<float>& x, TensorFormat f, int bs = 64, bool dq = false) {
  BlockwiseSettings s;
  s.format = f;
  s.blocksize = bs;
  s.doubleQuant = dq;
  auto q = quantizeBlockwise(x.data(), x.size(), s);
  INFO(q.error());
  REQUIRE(q.ok());
  return std::move(q).value();
}
std::vector<float> dequant(const QuantizedTensor& q) {
  std::vector<float> out(q.n);
  dequantizeBlockwise(q, out.data());
  return out;
}
}  // namespace

TEST_CASE("tables equal the reference tables") {
  const auto nf4 = loadF32("vectors/nf4_table.npy");
  const auto fp4 = loadF32("vectors/fp4_table.npy");
  const auto dyn = loadF32("vectors/dynamic_map.npy");
  REQUIRE(nf4Table().size() == 16);
  REQUIRE(fp4Table().size() == 16);
  REQUIRE(dynamicMap().size() == 256);
  for (std::size_t i = 0; i < 16; ++i) {
    CHECK(bits(nf4Table()[i]) == bits(nf4[i]));
    CHECK(bits(fp4Table()[i]) == bits(fp4[i]));
  }
  for (std::size_t i = 0; i < 256; ++i) CHECK(bits(dynamicMap()[i]) == bits(dyn[i]));
}

TEST_CASE("nf4 and fp4 bs64 equal bitsandbytes exactly", "[blockwise]") {
  const auto x = loadF32("vectors/normal_4096.npy");
  for (const char* fmt : {"nf4", "fp4"}) {
    const std::string dir = std::string("vectors/normal_4096.") + fmt + ".bs64/";
    INFO(fmt);
    TensorFormat f{};
    REQUIRE(parseTensorFormat(fmt, f));
    const auto q = quant(x, f);
    const auto codes = loadU8(dir + "codes.npy");
    const auto packed = loadU8(dir + "packed.npy");
    const auto absmax = loadF32(dir + "absmax.npy");
    const auto deq = loadF32(dir + "dequant.npy");
    CHECK(q.codes == codes);
    CHECK(q.packed == packed);
    REQUIRE(q.absmax.size() == absmax.size());
    for (std::size_t b = 0; b < absmax.size(); ++b) REQUIRE(bits(q.absmax[b]) == bits(absmax[b]));
    const auto out = dequant(q);
    // Bitwise, signed zeros included (FP4 codes tiny positive values as code 8, whose value is +0).
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(bits(out[i]) == bits(deq[i]));
    // Decoding from the packed bytes alone gives the same values.
    QuantizedTensor packedOnly = q;
    packedOnly.codes.clear();
    const auto out2 = dequant(packedOnly);
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(bits(out2[i]) == bits(deq[i]));
  }
}

TEST_CASE("nf4 bs64 double quantization equals bitsandbytes", "[blockwise]") {
  const auto x = loadF32("vectors/normal_4096.npy");
  const std::string dir = "vectors/normal_4096.nf4.bs64.dq/";
  const auto q = quant(x, TensorFormat::NF4, 64, true);
  const auto plain = quant(x, TensorFormat::NF4, 64, false);
  CHECK(q.codes == loadU8(dir + "codes.npy"));
  CHECK(q.codes == plain.codes);  // the 4-bit codes do not depend on double quantization
  CHECK(q.packed == loadU8(dir + "packed.npy"));
  const auto absmax = loadF32(dir + "absmax.npy");
  for (std::size_t b = 0; b < absmax.size(); ++b) REQUIRE(bits(q.absmax[b]) == bits(absmax[b]));
  CHECK(q.qabsmax == loadU8(dir + "qabsmax.npy"));
  const auto absmax2 = loadF32(dir + "absmax2.npy");
  REQUIRE(q.absmax2.size() == 1);
  CHECK(q.absmax2[0] == Approx(absmax2[0]).epsilon(1e-6));
  CHECK(q.offset == Approx(2.673933744430542).epsilon(1e-6));  // meta.json
  CHECK(q.offset == 2.673933744430542f);                       // in fact bit-exact
  const auto dq = loadF32(dir + "absmax_dq.npy");
  REQUIRE(q.absmaxDq.size() == dq.size());
  for (std::size_t b = 0; b < dq.size(); ++b) REQUIRE(q.absmaxDq[b] == Approx(dq[b]).epsilon(1e-6));
  std::size_t exactDq = 0;
  for (std::size_t b = 0; b < dq.size(); ++b) exactDq += bits(q.absmaxDq[b]) == bits(dq[b]);
  CHECK(exactDq == dq.size());  // in fact bit-exact too
  CHECK(bits(q.absmax2[0]) == bits(absmax2[0]));
  const auto deq = loadF32(dir + "dequant.npy");
  const auto out = dequant(q);
  for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == Approx(deq[i]).epsilon(1e-6).margin(1e-30));
  std::size_t exact = 0;
  for (std::size_t i = 0; i < out.size(); ++i) exact += bits(out[i]) == bits(deq[i]);
  CHECK(exact == out.size());
}

TEST_CASE("nf4/fp4 hand-computed: ties, all-zero blocks, partial blocks, odd lengths", "[blockwise]") {
  // Block of 32: absmax 1 so scaled values are the inputs.
  std::vector<float> x(32, 0.0f);
  x[0] = 1.0f;
  x[1] = -1.0f;
  x[2] = 0.03979014977812767f;  // the NF4 midpoint between 0 and 0.0796: tie goes to the lower code (7)
  x[3] = 0.0398f;               // just above: code 8
  x[4] = -0.0f;
  auto q = quant(x, TensorFormat::NF4, 32);
  CHECK(q.codes[0] == 15);
  CHECK(q.codes[1] == 0);
  CHECK(q.codes[2] == 7);
  CHECK(q.codes[3] == 8);
  CHECK(q.codes[4] == 7);
  CHECK(q.packed[0] == 0xF0);
  CHECK(q.packed[1] == 0x78);
  // FP4: the midpoint between 0.5 and 2/3 ties down; negative midpoint ties to the lower (more
  // negative) value, i.e. code of -2/3 (10).
  std::vector<float> y(32, 0.0f);
  y[0] = 1.0f;
  const float mid = float((double(0.5f) + double(fp4Table()[2])) * 0.5);
  y[1] = mid;
  y[2] = -mid;
  y[3] = 0.001f;   // positive tiny: sorted after +0 comes -0 (code 8), as bitsandbytes
  y[4] = -0.001f;  // negative tiny: +0 (code 0)
  y[5] = -0.2f;    // nearest -1/6: code 14
  y[6] = 0.3f;     // nearest 1/3 (0.2917 is the 0.25/0.333 midpoint): code 4
  auto f = quant(y, TensorFormat::FP4, 32);
  CHECK(f.codes[0] == 3);
  CHECK(f.codes[1] == 5);
  CHECK(f.codes[2] == 10);
  CHECK(f.codes[3] == 8);
  CHECK(f.codes[4] == 0);
  CHECK(f.codes[5] == 14);
  CHECK(f.codes[6] == 4);
  CHECK(f.codes[7] == 0);  // 0.0

  // All-zero block: absmax clamps to 1e-38, codes are the code of 0, dequant is exactly 0.
  std::vector<float> z(64, 0.0f);
  auto qz = quant(z, TensorFormat::NF4, 64);
  CHECK(qz.absmax[0] == 1e-38f);
  for (auto c : qz.codes) CHECK(c == 7);
  for (float v : dequant(qz)) CHECK(v == 0.0f);

  // Partial last block and odd length: 37 values, blocksize 32 -> blocks of 32 and 5.
  std::vector<float> p(37);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = float(int(i) - 18) * 0.125f;
  auto qp = quant(p, TensorFormat::NF4, 32);
  REQUIRE(qp.absmax.size() == 2);
  CHECK(qp.absmax[0] == 2.25f);   // |0 - 18| * 0.125
  CHECK(qp.absmax[1] == 2.25f);   // values 14..18 -> 1.75..2.25
  REQUIRE(qp.packed.size() == 19);
  CHECK((qp.packed[18] & 15) == 7);  // padded with the code of 0.0
  CHECK((qp.packed[18] >> 4) == qp.codes[36]);
  CHECK(qp.codes[36] == 15);  // 2.25 / 2.25 = 1
  // FP4 pads with its code of 0.0, which is 0.
  auto fp = quant(p, TensorFormat::FP4, 32);
  CHECK((fp.packed[18] & 15) == 0);
}

TEST_CASE("nf4: every blocksize round-trips within half a step and rejects bad settings") {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  std::vector<float> x(10007);
  for (auto& v : x) v = nd(rng);
  for (int bs = 32; bs <= 4096; bs *= 2) {
    const auto q = quant(x, TensorFormat::NF4, bs);
    CHECK(q.absmax.size() == (x.size() + std::size_t(bs) - 1) / std::size_t(bs));
    const auto out = dequant(q);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float a = q.absmax[i / std::size_t(bs)];
      REQUIRE(std::fabs(out[i] - x[i]) <= 0.16f * a);  // widest NF4 gap is 0.304
    }
  }
  BlockwiseSettings s;
  s.blocksize = 48;
  CHECK_FALSE(validateBlockwise(s).ok());
  s.blocksize = 16;
  CHECK_FALSE(validateBlockwise(s).ok());
  s.blocksize = 8192;
  CHECK_FALSE(validateBlockwise(s).ok());
  s.blocksize = 64;
  s.format = TensorFormat::Int8;
  s.doubleQuant = true;
  CHECK_FALSE(validateBlockwise(s).ok());
}

TEST_CASE("NaN and Inf are refused with the index of the first one", "[blockwise]") {
  std::vector<float> x(300, 0.5f);
  x[130] = std::numeric_limits<float>::infinity();
  x[200] = std::numeric_limits<float>::quiet_NaN();
  for (TensorFormat f : {TensorFormat::NF4, TensorFormat::Int8, TensorFormat::Q4_0}) {
    BlockwiseSettings s;
    s.format = f;
    auto q = quantizeBlockwise(x.data(), x.size(), s);
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().find("value 130") != std::string::npos);
    CHECK(q.error().find("Inf") != std::string::npos);
  }
  x[130] = 0.0f;
  x[299] = -std::numeric_limits<float>::infinity();  // in the partial last block (bs 64)
  BlockwiseSettings s;
  auto q = quantizeBlockwise(x.data(), x.size(), s);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().find("value 200") != std::string::npos);
  CHECK(q.error().find("NaN") != std::string::npos);
}

TEST_CASE("symmetric int8/int4/int2: absmax scale, round half to even, offset-binary codes") {
  // int4: absmax 7 -> scale 1; 2.5 ties to 2, 3.5 ties to 4, -7 -> code 1.
  std::vector<float> x = {7.0f, 2.5f, 3.5f, -7.0f, 0.0f, -0.4f, 1.5f, 6.9f};
  auto q = quant(x, TensorFormat::Int4, 32);
  CHECK(q.absmax[0] == 7.0f);
  CHECK(q.codes == std::vector<std::uint8_t>{15, 10, 12, 1, 8, 8, 10, 15});
  CHECK(q.packed == std::vector<std::uint8_t>{0xFA, 0xC1, 0x88, 0xAF});
  CHECK(dequant(q) == std::vector<float>{7, 2, 4, -7, 0, 0, 2, 7});
  // int8: absmax 127 -> scale 1.
  std::vector<float> y = {127.0f, -127.0f, 0.5f, 1.5f, -2.5f, 100.2f};
  auto q8 = quant(y, TensorFormat::Int8, 32);
  CHECK(q8.codes == std::vector<std::uint8_t>{255, 1, 128, 130, 126, 228});
  CHECK(q8.packed.empty());
  // int2: levels -a, 0, a; the decision is at a/2 (ties to even: 0).
  std::vector<float> w = {2.0f, 1.0f, 1.01f, -1.0f, -2.0f};
  auto q2 = quant(w, TensorFormat::Int2, 32);
  CHECK(q2.codes == std::vector<std::uint8_t>{3, 2, 3, 2, 1});
  CHECK(dequant(q2) == std::vector<float>{2, 0, 2, 0, -2});
  // All-zero block: scale 0, every code is zero's, dequant 0.
  std::vector<float> z(40, 0.0f);
  auto qz = quant(z, TensorFormat::Int8, 32);
  for (auto c : qz.codes) CHECK(c == 128);
  for (float v : dequant(qz)) CHECK(v == 0.0f);
}

TEST_CASE("asymmetric uint4/uint8: min-max range widened to 0, integer zero point") {
  // Range [-1, 2]: scale 3/15 = 0.2, zero point roundEven(1/0.2) = 5.
  std::vector<float> x = {-1.0f, 2.0f, 0.0f, 0.5f, 0.1f, 0.3f};
  auto q = quant(x, TensorFormat::UInt4, 32);
  CHECK(q.absmax[0] == 0.2f);
  CHECK(q.zeroPoint[0] == 5.0f);
  // 0.5 * 5 = 2.5 -> 2 (even) + 5 = 7; 0.1*5 = 0.5 -> 0 -> 5; 0.3 * 5 = 1.5 -> 2 -> 7.
  CHECK(q.codes == std::vector<std::uint8_t>{0, 15, 5, 7, 5, 7});
  const auto d = dequant(q);
  CHECK(d[0] == -1.0f);
  CHECK(d[1] == Approx(2.0f));
  CHECK(d[2] == 0.0f);
  // Only positive values: the range still starts at 0, zero point 0.
  std::vector<float> y = {1.0f, 3.0f, 2.0f};
  auto q8 = quant(y, TensorFormat::UInt8, 32);
  CHECK(q8.zeroPoint[0] == 0.0f);
  CHECK(q8.codes == std::vector<std::uint8_t>{85, 255, 170});
  // Odd length pads the 4-bit stream with the zero point.
  CHECK((q.packed.size() == 3 && (q.packed[2] & 15) == 7));
  std::vector<float> odd = {-1.0f, 2.0f, 0.5f};
  auto qo = quant(odd, TensorFormat::UInt4, 32);
  CHECK((qo.packed[1] & 15) == 5);
}

TEST_CASE("fp8 e4m3/e5m2: OCP grids, round to nearest even, saturation") {
  const auto& e4 = fp8Values(TensorFormat::FP8E4M3);
  const auto& e5 = fp8Values(TensorFormat::FP8E5M2);
  CHECK(e4[0x7e] == 448.0f);
  CHECK(std::isnan(e4[0x7f]));
  CHECK(e4[0x01] == std::ldexp(1.0f, -9));  // smallest subnormal
  CHECK(e4[0x08] == std::ldexp(1.0f, -6));  // smallest normal
  CHECK(e4[0x38] == 1.0f);
  CHECK(e5[0x7b] == 57344.0f);
  CHECK(std::isinf(e5[0x7c]));
  CHECK(e5[0x01] == std::ldexp(1.0f, -16));
  CHECK(e5[0x3c] == 1.0f);
  // Every finite code round-trips through the encoder.
  for (int c = 0; c < 256; ++c) {
    if (std::isfinite(e4[std::size_t(c)]) && c != 0x80) CHECK(fp8EncodeValue(e4[std::size_t(c)], TensorFormat::FP8E4M3) == c);
    if (std::isfinite(e5[std::size_t(c)]) && c != 0x80) CHECK(fp8EncodeValue(e5[std::size_t(c)], TensorFormat::FP8E5M2) == c);
  }
  // Ties to even: between 1 and 1.125 (E4M3) -> 1; between 1.125 and 1.25 -> 1.25.
  CHECK(fp8EncodeValue(1.0625f, TensorFormat::FP8E4M3) == 0x38);
  CHECK(fp8EncodeValue(1.1875f, TensorFormat::FP8E4M3) == 0x3a);
  CHECK(fp8EncodeValue(-1.0625f, TensorFormat::FP8E4M3) == 0xb8);
  // Saturation: 464 (tie between 448 and 480) -> 448 and anything larger -> 448 (never NaN).
  CHECK(fp8EncodeValue(464.0f, TensorFormat::FP8E4M3) == 0x7e);
  CHECK(fp8EncodeValue(1e6f, TensorFormat::FP8E4M3) == 0x7e);
  CHECK(fp8EncodeValue(-1e6f, TensorFormat::FP8E4M3) == 0xfe);
  CHECK(fp8EncodeValue(1e9f, TensorFormat::FP8E5M2) == 0x7b);
  // Subnormal rounding: half the smallest subnormal ties to 0.
  CHECK(fp8EncodeValue(std::ldexp(1.0f, -10), TensorFormat::FP8E4M3) == 0x00);
  CHECK(fp8EncodeValue(std::ldexp(3.0f, -11), TensorFormat::FP8E4M3) == 0x01);
  // Per-block scale: absmax maps to 448.
  std::vector<float> x = {1.0f, -0.5f, 0.25f, 0.0f};
  auto q = quant(x, TensorFormat::FP8E4M3, 32);
  CHECK(q.absmax[0] == 1.0f / 448.0f);
  CHECK(q.codes[0] == 0x7e);
  const auto d = dequant(q);
  CHECK(d[0] == Approx(1.0f).epsilon(1e-6));
  CHECK(d[1] == Approx(-0.5f).epsilon(1e-6));
  CHECK(d[3] == 0.0f);
}

TEST_CASE("ggml q8_0 and q4_0 follow the reference code") {
  // q8_0: amax 127 -> d = 1 (fp16 exact); round half away from zero.
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.49f;
  x[4] = -126.5f;
  BlockwiseSettings s;
  s.format = TensorFormat::Q8_0;
  s.blocksize = 64;  // ignored: ggml blocks are 32
  auto q = quantizeBlockwise(x.data(), x.size(), s);
  REQUIRE(q.ok());
  CHECK(q->blocksize == 32);
  CHECK(q->absmax[0] == 1.0f);
  CHECK(q->codes[0] == 255);
  CHECK(q->codes[1] == 131);  // 3 + 128
  CHECK(q->codes[2] == 125);  // -3 + 128
  CHECK(q->codes[3] == 128);
  CHECK(q->codes[4] == 1);    // -127 + 128
  // d stored as fp16: amax 1 -> d = 1/127 -> fp16 0.007873535..., codes use the float32 id = 127.
  std::vector<float> y(32, 0.0f);
  y[0] = 1.0f;
  y[1] = 0.5f;
  auto q1 = quantizeBlockwise(y.data(), y.size(), s);
  REQUIRE(q1.ok());
  CHECK(q1->absmax[0] == roundToHalf(1.0f / 127.0f));
  CHECK(q1->absmax[0] != 1.0f / 127.0f);
  CHECK(q1->codes[1] == 128 + 64);  // 0.5 * 127 = 63.5 -> 64 (away from zero)

  // q4_0: m = the first value of largest magnitude (sign kept), d = m / -8.
  std::vector<float> z(32, 0.0f);
  z[0] = -4.0f;  // m = -4 -> d = 0.5, id = 2
  z[1] = 4.0f;   // same magnitude, later: not m
  z[2] = 1.0f;   // 1 * 2 + 8.5 = 10.5 -> 10
  z[3] = -0.25f; // -0.5 + 8.5 = 8 -> 8
  z[4] = -0.3f;  // -0.6 + 8.5 = 7.9 -> 7
  s.format = TensorFormat::Q4_0;
  auto q4 = quantizeBlockwise(z.data(), z.size(), s);
  REQUIRE(q4.ok());
  CHECK(q4->absmax[0] == 0.5f);
  CHECK(q4->codes[0] == 0);   // -8 + 8.5 = 0.5 -> 0: decodes to -8 * 0.5 = -4
  CHECK(q4->codes[1] == 15);  // 8 + 8.5 = 16.5 -> 16 -> min(15): 3.5, the format's asymmetry
  CHECK(q4->codes[2] == 10);
  CHECK(q4->codes[3] == 8);
  CHECK(q4->codes[4] == 7);
  CHECK(q4->codes[5] == 8);
  std::vector<float> d4(32);
  dequantizeBlockwise(*q4, d4.data());
  CHECK(d4[0] == -4.0f);
  CHECK(d4[1] == 3.5f);
  CHECK(d4[2] == 1.0f);
  // Positive m gives a negative d.
  z[0] = 4.0f;
  z[1] = -2.0f;
  auto qn = quantizeBlockwise(z.data(), z.size(), s);
  REQUIRE(qn.ok());
  CHECK(qn->absmax[0] == -0.5f);
  CHECK(qn->codes[0] == 0);
  // All-zero block: d = 0, id = 0, every code 8.
  std::vector<float> zero(33, 0.0f);
  auto q0 = quantizeBlockwise(zero.data(), zero.size(), s);
  REQUIRE(q0.ok());
  CHECK(q0->absmax.size() == 2);  // partial last block of 1 value
  for (auto c : q0->codes) CHECK(c == 8);
  CHECK(q0->packed.back() == 0x88);
  // A scale beyond fp16 is refused, not stored as inf.
  std::vector<float> big(32, 1e7f);
  auto qb = quantizeBlockwise(big.data(), big.size(), s);
  CHECK_FALSE(qb.ok());
  CHECK(qb.error().find("fp16") != std::string::npos);
}

TEST_CASE("bits per parameter and error statistics") {
  BlockwiseSettings s;
  CHECK(bitsPerParam(s, 4096) == 4.5);
  CHECK(bitsPerParam(s, 0) == 4.5);
  s.doubleQuant = true;
  CHECK(bitsPerParam(s, 0) == Approx(4.126953125));
  CHECK(bitsPerParam(s, 64 * 256 * 1024) == Approx(4.127).margin(1e-3));
  s.doubleQuant = false;
  s.format = TensorFormat::Q4_0;
  CHECK(bitsPerParam(s, 4096) == 4.5);
  s.format = TensorFormat::Q8_0;
  CHECK(bitsPerParam(s, 4096) == 8.5);
  s.format = TensorFormat::Int8;
  s.blocksize = 128;
  CHECK(bitsPerParam(s, 4096) == 8.25);
  s.format = TensorFormat::UInt4;
  CHECK(bitsPerParam(s, 4096) == 4.5);
  s.format = TensorFormat::NF4;
  s.blocksize = 64;
  CHECK(bitsPerParam(s, 65) == Approx((33.0 * 8 + 2 * 32) / 65.0));  // packed bytes and two blocks

  const std::vector<float> x = {1.0f, -2.0f, 3.0f, 0.0f};
  const std::vector<float> d = {1.0f, -2.5f, 3.0f, 0.5f};
  const auto st = formatStats(x.data(), d.data(), x.size(), s);
  CHECK(st.mse == 0.125);
  CHECK(st.rmse == Approx(std::sqrt(0.125)));
  CHECK(st.maxAbsError == 0.5);
  CHECK(st.sqnrDb == Approx(10.0 * std::log10(14.0 / 0.5)));
  const auto exact = formatStats(x.data(), x.data(), x.size(), s);
  CHECK(std::isinf(exact.sqnrDb));
}

TEST_CASE("format names round-trip") {
  for (int i = 0; i <= int(TensorFormat::Q4_0); ++i) {
    TensorFormat f{};
    REQUIRE(parseTensorFormat(tensorFormatName(TensorFormat(i)), f));
    CHECK(int(f) == i);
  }
  TensorFormat f{};
  CHECK_FALSE(parseTensorFormat("nf5", f));
  CHECK(formatCodeBits(TensorFormat::Int2) == 2);
  CHECK(formatCodeBits(TensorFormat::FP8E5M2) == 8);
}

TEST_CASE("nf4/fp4 fast path equals a direct midpoint search of the contract", "[blockwise]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (TensorFormat f : {TensorFormat::NF4, TensorFormat::FP4}) {
    const auto& table = f == TensorFormat::NF4 ? nf4Table() : fp4Table();
    // Sorted values (stable: FP4's code 0 before code 8) and their midpoints.
    std::vector<int> order(16);
    for (int i = 0; i < 16; ++i) order[std::size_t(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return table[std::size_t(a)] < table[std::size_t(b)]; });
    std::vector<float> mids;
    for (std::size_t i = 0; i + 1 < 16; ++i)
      mids.push_back(float((double(table[std::size_t(order[i])]) + double(table[std::size_t(order[i + 1])])) / 2));
    for (int bs : {32, 64, 256, 4096}) {
      for (std::size_t n : {std::size_t(1), std::size_t(31), std::size_t(4097), std::size_t(20000)}) {
        std::vector<float> x(n);
        for (auto& v : x) v = nd(rng);
        if (n > 100) x[50] = x[51] = 0.0f;
        const auto q = quant(x, f, bs);
        const std::size_t ubs = std::size_t(bs), full = n / ubs;
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t b = i / ubs;
          float a = 0.0f;
          for (std::size_t j = b * ubs; j < std::min(n, (b + 1) * ubs); ++j) a = std::max(a, std::fabs(x[j]));
          a = std::max(a, 1e-38f);
          const float s = b < full ? x[i] * (1.0f / a) : x[i] / a;
          const auto idx = std::size_t(std::lower_bound(mids.begin(), mids.end(), s) - mids.begin());
          REQUIRE(q.codes[i] == order[idx]);
          REQUIRE(q.absmax[b] == a);
        }
      }
    }
  }
}

TEST_CASE("dequantizing a malformed tensor gives zeros, never reads past its buffers") {
  QuantizedTensor q;
  q.format = TensorFormat::Int8;
  q.blocksize = 64;
  q.n = 100;
  q.absmax = {1.0f, 1.0f};
  std::vector<float> out(100, 7.0f);
  dequantizeBlockwise(q, out.data());  // no codes, and 8-bit formats have no packed form
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 0.0f; }));
  q.format = TensorFormat::NF4;
  q.packed.assign(10, 0x77);  // needs 50 bytes
  std::fill(out.begin(), out.end(), 7.0f);
  dequantizeBlockwise(q, out.data());
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 0.0f; }));
  q.packed.assign(50, 0x77);  // code 7 of NF4 is 0.0 in every nibble
  q.absmax = {2.0f};          // one constant for two blocks
  dequantizeBlockwise(q, out.data());
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 0.0f; }));
}

namespace {
// The Weights panel's "normal" tensor (app/ui/weights_model.cpp): Box-Muller on mt19937 bits.
std::vector<float> normalWeights(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform01 = [&] { return (double(rng() >> 8) + 0.5) / 16777216.0; };
  std::vector<float> v(n);
  for (auto& x : v) {
    const double r = std::sqrt(-2.0 * std::log(uniform01())), t = 2.0 * M_PI * uniform01();
    x = float(r * std::cos(t));
  }
  return v;
}
}  // namespace

TEST_CASE("codeUse: NF4 levels are not used equally often after absmax scaling", "[blockwise]") {
  SECTION("the bitsandbytes vector: exact counts, equal to counting bitsandbytes' own codes") {
    const auto x = loadF32("vectors/normal_4096.npy");
    const auto ref = loadU8("vectors/normal_4096.nf4.bs64/codes.npy");
    const QuantizedTensor q = quant(x, TensorFormat::NF4, 64);
    const CodeUse u = codeUse(q);
    REQUIRE(u.total == 4096);
    std::vector<std::uint64_t> fromRef(16, 0);
    for (std::uint8_t c : ref) ++fromRef[c];
    CHECK(u.counts == fromRef);
    const std::vector<std::uint64_t> expected = {62, 167, 243, 281, 339, 385, 396, 374,
                                                 340, 300, 314, 280, 243, 180, 131, 61};
    CHECK(u.counts == expected);
    // 64 blocks: each block's largest |x| is coded -1 or +1, so the two end codes hold at least 64.
    CHECK(u.counts[0] + u.counts[15] >= 64);
    // The same counts from the packed nibbles alone.
    QuantizedTensor packedOnly = q;
    packedOnly.codes.clear();
    CHECK(codeUse(packedOnly).counts == expected);
    // A malformed tensor counts nothing.
    packedOnly.packed.resize(10);
    CHECK(codeUse(packedOnly).total == 0);
    CHECK(codeUse(packedOnly).fraction(0) == 0.0);
  }
  SECTION("normal data, 2^20 values, blocksize 64: from about 1.7% (+1) to 9.2% (-0.09) per level, not 6.25% each") {
    const auto x = normalWeights(std::size_t(1) << 20, 1);
    const CodeUse u = codeUse(quant(x, TensorFormat::NF4, 64));
    REQUIRE(u.total == (1u << 20));
    CHECK(u.counts[15] == 18315);  // +1.0: 1.75%
    CHECK(u.counts[0] == 19325);   // -1.0: 1.84%
    CHECK(u.counts[6] == 96239);   // -0.091: 9.18%, the most used
    std::size_t lo = 0, hi = 0;
    for (std::size_t c = 0; c < 16; ++c) {
      if (u.counts[c] < u.counts[lo]) lo = c;
      if (u.counts[c] > u.counts[hi]) hi = c;
    }
    CHECK(lo == 15);
    CHECK(hi == 6);
    CHECK(u.fraction(lo) > 0.017);
    CHECK(u.fraction(lo) < 0.018);
    CHECK(u.fraction(hi) > 0.091);
    CHECK(u.fraction(hi) < 0.093);
    // 16384 blocks, each with its maximum on a +-1 code: 1/64 = 1.56% of all values by construction.
    CHECK(u.counts[0] + u.counts[15] >= 16384);
  }
  SECTION("other formats: one count per code") {
    const std::vector<float> x = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 0.25f};
    const CodeUse u = codeUse(quant(x, TensorFormat::Int2, 64));
    CHECK(u.counts == std::vector<std::uint64_t>{0, 1, 4, 1});  // -1 -> q -1; +-0.5 tie to 0; 1 -> q 1
    CHECK(u.total == 6);
    CHECK(codeUse(quant(x, TensorFormat::Int8, 64)).counts.size() == 256);
  }
}
