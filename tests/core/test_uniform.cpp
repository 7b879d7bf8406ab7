// The uniform quantizer against the contract: hand-computed samples, exact integer references,
// identity at full depth, reachability, truncate bias, stochastic unbiasedness, 16-bit, alpha.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "quant/uniform.hpp"
#include "test_support.hpp"

using namespace qviz::core;
using qviz::test::ramp8;
using qviz::test::randomImage;

namespace {
std::uint32_t q8(std::uint32_t v, int bits, Rounding r = Rounding::Nearest) {
  const auto k = uniformConstants(bits, 255);
  return dequantizeCode(quantizeCode(v, k, r, Dither::None, 0, 0, 0, 0), k, r);
}
}  // namespace

TEST_CASE("uniform constants are float32 of the exact ratios") {
  const auto k2 = uniformConstants(2, 255);
  CHECK(k2.levels == 4);
  CHECK(k2.scale == static_cast<float>(3.0 / 255.0));
  CHECK(k2.inv == 85.0f);
  const auto k16 = uniformConstants(16, 65535);
  CHECK(k16.scale == 1.0f);
  CHECK(k16.inv == 1.0f);
}

TEST_CASE("hand-computed 8-bit samples") {
  // 2 bits: levels 0, 85, 170, 255.
  CHECK(q8(0, 2) == 0);
  CHECK(q8(42, 2) == 0);     // 42 * 3/255 = 0.494 -> 0
  CHECK(q8(43, 2) == 85);    // 0.506 -> 1
  CHECK(q8(127, 2) == 85);   // 1.494 -> 1
  CHECK(q8(128, 2) == 170);  // 1.506 -> 2
  CHECK(q8(255, 2) == 255);
  // 3 bits: levels round(k * 255/7) = 0, 36, 73, 109, 146, 182, 219, 255.
  const std::uint32_t levels3[8] = {0, 36, 73, 109, 146, 182, 219, 255};
  for (std::uint32_t code = 0; code < 8; ++code)
    CHECK(dequantizeCode(code, uniformConstants(3, 255), Rounding::Nearest) == levels3[code]);
  CHECK(q8(200, 3) == 182);  // 200 * 7/255 = 5.49 -> 5 -> 182
  // 1 bit: threshold between 127 and 128.
  CHECK(q8(127, 1) == 0);
  CHECK(q8(128, 1) == 255);
  // truncate: floor.
  CHECK(q8(84, 2, Rounding::Truncate) == 0);
  CHECK(q8(85, 2, Rounding::Truncate) == 85);
  CHECK(q8(254, 2, Rounding::Truncate) == 170);
  CHECK(q8(255, 1, Rounding::Truncate) == 255);
  CHECK(q8(254, 1, Rounding::Truncate) == 0);
}

TEST_CASE("8-bit nearest and truncate equal exact integer arithmetic for every value and depth") {
  // No ties exist for vmax = 255 (odd times odd), so exact rational rounding is the reference.
  for (int bits = 1; bits <= 8; ++bits) {
    const std::uint32_t l1 = (1u << bits) - 1;
    const auto k = uniformConstants(bits, 255);
    for (std::uint32_t v = 0; v <= 255; ++v) {
      const std::uint32_t nearCode = (2 * v * l1 + 255) / 510;
      const std::uint32_t truncCode = v * l1 / 255;
      INFO("bits " << bits << " v " << v);
      REQUIRE(quantizeCode(v, k, Rounding::Nearest, Dither::None, 0, 0, 0, 0) == nearCode);
      REQUIRE(quantizeCode(v, k, Rounding::Truncate, Dither::None, 0, 0, 0, 0) == truncCode);
      REQUIRE(dequantizeCode(nearCode, k, Rounding::Nearest) == (2 * nearCode * 255 + l1) / (2 * l1));
    }
  }
}

TEST_CASE("8 bits is the identity and every level is reachable") {
  const Image ramp = ramp8(3);
  UniformSettings s;
  s.bits = 8;
  CHECK(quantizeUniform(ramp, s).value() == ramp);
  for (int bits = 1; bits <= 8; ++bits) {
    s.bits = bits;
    for (Rounding r : {Rounding::Nearest, Rounding::Truncate}) {
      s.rounding = r;
      const Image q = quantizeUniform(ramp, s).value();
      std::set<std::uint8_t> levels(q.u8.begin(), q.u8.end());
      INFO("bits " << bits << " " << roundingName(r));
      CHECK(levels.size() == (1u << bits));
      CHECK(*levels.begin() == 0);
      CHECK(*levels.rbegin() == 255);
    }
  }
}

TEST_CASE("truncate is darker than nearest by the expected mean") {
  // Over a uniform ramp, floor loses on average half a step more than round: (L-1) steps of 255/(L-1).
  const Image ramp = ramp8(1);
  UniformSettings s;
  s.bits = 2;
  s.rounding = Rounding::Nearest;
  const Image n = quantizeUniform(ramp, s).value();
  s.rounding = Rounding::Truncate;
  const Image t = quantizeUniform(ramp, s).value();
  int sumN = 0, sumT = 0, sumV = 0;
  for (int v = 0; v < 256; ++v) {
    sumN += n.u8[std::size_t(v)];
    sumT += t.u8[std::size_t(v)];
    sumV += v;
    CHECK(t.u8[std::size_t(v)] <= n.u8[std::size_t(v)]);
  }
  // Exact sums by hand. nearest: codes 0 (v 0..42), 1 (43..127), 2 (128..212), 3 (213..255).
  // codes 0 for 0..84 (85 values), 1 for 85..169 (85), 2 for 170..254 (85), 3 for 255 (1).
  CHECK(sumV == 32640);
  CHECK(sumN == 32640);
  CHECK(sumT == 85 * 85 + 85 * 170 + 255);
  CHECK(sumT == 21930);
  CHECK((sumN - sumT) / 256.0 == Approx(10710.0 / 256.0));
}

TEST_CASE("the seed app's formula is reproduced and labelled") {
  UniformSettings s;
  s.rounding = Rounding::Seed;
  s.bits = 8;
  const Image ramp = ramp8(1);
  const Image q = quantizeUniform(ramp, s).value();
  CHECK(q.u8[255] == 254);  // never reaches white: floor(255/256*255) = 254
  CHECK(q.u8[128] == 127);  // 8 bits is not the identity
  s.bits = 1;
  const Image q1 = quantizeUniform(ramp, s).value();
  CHECK(std::set<std::uint8_t>(q1.u8.begin(), q1.u8.end()) == std::set<std::uint8_t>{0});  // 1 bit: all black
  s.bits = 2;
  const Image q2 = quantizeUniform(ramp, s).value();
  CHECK(q2.u8[255] == 170);  // floor(255*3/256) = 2 -> 170
  CHECK(std::string(roundingName(Rounding::Seed)) == "seed");
}

TEST_CASE("bit dropping keeps the top bits of every 8-bit value, on the nearest level grid") {
  // Independent reference: the code is an integer shift; the sample is code * 255/(L-1) rounded
  // to nearest in exact integers (no ties: 255 and L-1 are odd), the same levels as nearest.
  for (int bits = 1; bits <= 8; ++bits) {
    const std::uint32_t l1 = (1u << bits) - 1;
    const auto k = uniformConstants(bits, 255);
    CHECK(k.dropShift == std::uint32_t(8 - bits));
    for (std::uint32_t v = 0; v <= 255; ++v) {
      const std::uint32_t code = v >> (8 - bits);
      const std::uint32_t sample = (2 * code * 255 + l1) / (2 * l1);
      INFO("bits " << bits << " v " << v);
      REQUIRE(quantizeCode(v, k, Rounding::Drop, Dither::None, 0, 0, 0, 0) == code);
      REQUIRE(dequantizeCode(code, k, Rounding::Drop) == sample);
      REQUIRE(dequantizeCode(code, k, Rounding::Drop) == dequantizeCode(code, k, Rounding::Nearest));
      REQUIRE(q8(v, bits, Rounding::Drop) == sample);
    }
  }
  // Whole images (the table path, one and several channels, alpha untouched).
  for (int ch : {1, 4}) {
    Image img = Image::make(256, 1, ch, SampleType::U8);
    for (int x = 0; x < 256; ++x)
      for (int c = 0; c < ch; ++c) img.u8[std::size_t(x * ch + c)] = std::uint8_t(x);
    UniformSettings s;
    s.bits = 3;
    s.rounding = Rounding::Drop;
    const Image q = quantizeUniform(img, s).value();
    for (int x = 0; x < 256; ++x)
      for (int c = 0; c < ch; ++c) {
        const std::uint32_t code = std::uint32_t(x) >> 5;
        const bool alpha = ch == 4 && c == 3;
        INFO("ch " << ch << " x " << x << " c " << c);
        REQUIRE(q.at(x, 0, c) == (alpha ? std::uint32_t(x) : (2 * code * 255 + 7) / 14));
      }
  }
  CHECK(q8(255, 8, Rounding::Drop) == 255);  // 8 bits: the identity
  CHECK(q8(127, 1, Rounding::Drop) == 0);
  CHECK(q8(128, 1, Rounding::Drop) == 255);
  CHECK(q8(63, 2, Rounding::Drop) == 0);  // 2 bits: four equal bins of 64 values each
  CHECK(q8(64, 2, Rounding::Drop) == 85);
  CHECK(q8(191, 2, Rounding::Drop) == 170);
  CHECK(q8(192, 2, Rounding::Drop) == 255);
  Rounding r = Rounding::Nearest;
  CHECK(parseRounding("drop", r));
  CHECK(r == Rounding::Drop);
  CHECK(std::string(roundingName(Rounding::Drop)) == "drop");
}

TEST_CASE("bit dropping keeps the top bits of every 16-bit value") {
  Image img = Image::make(256, 256, 1, SampleType::U16);
  for (std::uint32_t v = 0; v <= 65535; ++v) img.u16[v] = std::uint16_t(v);
  for (int bits = 1; bits <= 16; ++bits) {
    const std::uint32_t l1 = (1u << bits) - 1;
    const auto k = uniformConstants(bits, 65535);
    CHECK(k.dropShift == std::uint32_t(16 - bits));
    UniformSettings s;
    s.bits = bits;
    s.rounding = Rounding::Drop;
    const Image q = quantizeUniform(img, s).value();
    for (std::uint32_t v = 0; v <= 65535; ++v) {
      const std::uint32_t code = v >> (16 - bits);
      // The level grid of the contract, roundEven(f32(code) * f32(65535/(L-1))): in float32 it is
      // not always exact rounding (bits 9, code 340: 43604.50098 becomes 43604.5 and rounds to even).
      const float inv = static_cast<float>(65535.0 / double(l1));
      const std::uint32_t sample = std::uint32_t(std::nearbyint(static_cast<float>(code) * inv));
      if (quantizeCode(v, k, Rounding::Drop, Dither::None, 0, 0, 0, 0) != code || q.u16[v] != sample) {
        INFO("bits " << bits << " v " << v << " code " << code << " sample " << sample << " got " << q.u16[v]);
        FAIL("bit dropping differs from v >> (16 - bits)");
      }
    }
  }
  const auto k9 = uniformConstants(9, 65535);
  CHECK(dequantizeCode(340, k9, Rounding::Drop) == 43604);  // the float32 grid, as nearest uses it
  CHECK(dequantizeCode(340, k9, Rounding::Nearest) == 43604);
}

TEST_CASE("bit dropping is not truncation: exact counts of differing 8-bit codes") {
  // floor(v * (L-1) / 255) against v >> (8 - bits) and against round-to-nearest, for every byte.
  // The README and the Concepts panel quote these numbers.
  const int expectTruncate[8] = {127, 126, 127, 120, 127, 126, 127, 0};
  const int expectNearest[8] = {0, 42, 52, 56, 52, 42, 0, 0};
  for (int bits = 1; bits <= 8; ++bits) {
    const auto k = uniformConstants(bits, 255);
    int vsTruncate = 0, vsNearest = 0;
    for (std::uint32_t v = 0; v <= 255; ++v) {
      const std::uint32_t drop = quantizeCode(v, k, Rounding::Drop, Dither::None, 0, 0, 0, 0);
      vsTruncate += drop != quantizeCode(v, k, Rounding::Truncate, Dither::None, 0, 0, 0, 0);
      vsNearest += drop != quantizeCode(v, k, Rounding::Nearest, Dither::None, 0, 0, 0, 0);
    }
    INFO("bits " << bits);
    CHECK(vsTruncate == expectTruncate[bits - 1]);
    CHECK(vsNearest == expectNearest[bits - 1]);
  }
}

TEST_CASE("on a ramp at 3 bits bit dropping is unbiased overall, darkens the dark half and lightens the bright half") {
  // Sums over the 256 byte values of (quantized - original), exact integers.
  struct Want { Rounding r; int sum, darkHalf, brightHalf, maxAbs, sumSq; };
  for (const Want& w : {Want{Rounding::Nearest, 0, -207, 207, 18, 28230}, Want{Rounding::Truncate, -4626, -2169, -2457, 36, 112146},
                        Want{Rounding::Drop, 0, -1152, 1152, 31, 48768}}) {
    int sum = 0, dark = 0, bright = 0, maxAbs = 0, sumSq = 0;
    for (int v = 0; v <= 255; ++v) {
      const int e = int(q8(std::uint32_t(v), 3, w.r)) - v;
      sum += e;
      (v < 128 ? dark : bright) += e;
      maxAbs = std::max(maxAbs, std::abs(e));
      sumSq += e * e;
    }
    INFO(roundingName(w.r));
    CHECK(sum == w.sum);
    CHECK(dark == w.darkHalf);
    CHECK(bright == w.brightHalf);
    CHECK(maxAbs == w.maxAbs);
    CHECK(sumSq == w.sumSq);
  }
}

TEST_CASE("bit dropping refuses float images and dithering like every uniform mode") {
  UniformSettings s;
  s.rounding = Rounding::Drop;
  const Image f = Image::make(2, 2, 1, SampleType::F32);
  CHECK(!quantizeUniform(f, s).ok());
  s.dither = Dither::Ordered;
  CHECK(!quantizeUniform(ramp8(1), s).ok());
}

TEST_CASE("stochastic rounding is reproducible and unbiased in expectation") {
  const Image flat = [] {
    Image img = Image::make(256, 256, 1, SampleType::U8);
    std::fill(img.u8.begin(), img.u8.end(), std::uint8_t(100));
    return img;
  }();
  UniformSettings s;
  s.bits = 2;
  s.rounding = Rounding::Stochastic;
  s.seed = 7;
  const Image a = quantizeUniform(flat, s).value();
  const Image b = quantizeUniform(flat, s).value();
  CHECK(a == b);
  s.seed = 8;
  CHECK(!(quantizeUniform(flat, s).value() == a));
  // 100 * 3/255 = 1.176: code 2 with probability 0.176, mean output = 85 + 0.176 * 85 = 100.
  double sum = 0;
  for (auto v : a.u8) sum += v;
  const double mean = sum / double(a.u8.size());
  CHECK(mean == Approx(100.0).margin(0.5));  // 65536 samples: sd of the mean ~0.13
  std::set<std::uint8_t> used(a.u8.begin(), a.u8.end());
  CHECK(used == std::set<std::uint8_t>{85, 170});
  // Hash values are fixed by the contract (GLSL computes the same).
  CHECK(stochasticHash(0, 0, 0, 0) == stochasticHash(0, 0, 0, 0));
  CHECK(stochasticOffset(1, 2, 0, 7) >= 0.0f);
  CHECK(stochasticOffset(1, 2, 0, 7) < 1.0f);
}

TEST_CASE("ordered dithering preserves the mean of a flat area and uses the Bayer matrix") {
  Image flat = Image::make(64, 64, 1, SampleType::U8);
  std::fill(flat.u8.begin(), flat.u8.end(), std::uint8_t(64));
  UniformSettings s;
  s.bits = 1;
  s.dither = Dither::Ordered;
  const Image q = quantizeUniform(flat, s).value();
  // 64/255 = 0.251: white where bayer threshold (b+0.5)/64 > 1 - 0.251, i.e. b >= 48: 16 of 64.
  long white = 0;
  for (auto v : q.u8) white += v == 255;
  CHECK(white == 64 * 64 * 16 / 64);
  CHECK(bayerOffset(0, 0) == 0.5f / 64.0f);
  CHECK(bayerOffset(7, 7) == 21.5f / 64.0f);
}

TEST_CASE("Floyd-Steinberg diffuses the error and keeps the mean") {
  Image flat = Image::make(100, 100, 1, SampleType::U8);
  std::fill(flat.u8.begin(), flat.u8.end(), std::uint8_t(64));
  UniformSettings s;
  s.bits = 1;
  s.dither = Dither::FloydSteinberg;
  const Image q = quantizeUniform(flat, s).value();
  double sum = 0;
  for (auto v : q.u8) sum += v;
  CHECK(sum / 10000.0 == Approx(64.0).margin(1.0));
  std::set<std::uint8_t> used(q.u8.begin(), q.u8.end());
  CHECK(used == std::set<std::uint8_t>{0, 255});
}

TEST_CASE("dithering requires nearest rounding") {
  UniformSettings s;
  s.dither = Dither::Ordered;
  s.rounding = Rounding::Truncate;
  auto r = quantizeUniform(ramp8(1), s);
  REQUIRE(!r.ok());
  CHECK(r.error().find("nearest") != std::string::npos);
}

TEST_CASE("16-bit images keep 16 bits and quantize with vmax 65535") {
  Image img = Image::make(4, 1, 1, SampleType::U16);
  img.u16 = {0, 1000, 32768, 65535};
  UniformSettings s;
  s.bits = 16;
  CHECK(quantizeUniform(img, s).value() == img);
  s.bits = 2;
  const Image q = quantizeUniform(img, s).value();
  REQUIRE(q.type == SampleType::U16);
  CHECK(q.u16 == std::vector<std::uint16_t>{0, 0, 43690, 65535});  // 32768*3/65535 = 1.50002 -> 2
  s.bits = 17;
  CHECK(!quantizeUniform(img, s).ok());
  s.bits = 9;
  CHECK(!quantizeUniform(ramp8(1), s).ok());
}

TEST_CASE("alpha is passed through untouched") {
  const Image img = randomImage(37, 23, 4, SampleType::U8, 3);
  UniformSettings s;
  s.bits = 1;
  for (Rounding r : {Rounding::Nearest, Rounding::Truncate, Rounding::Stochastic, Rounding::Seed}) {
    s.rounding = r;
    const Image q = quantizeUniform(img, s).value();
    for (std::size_t p = 0; p < img.pixelCount(); ++p) REQUIRE(q.u8[p * 4 + 3] == img.u8[p * 4 + 3]);
  }
  s.rounding = Rounding::Nearest;
  s.dither = Dither::FloydSteinberg;
  const Image q = quantizeUniform(img, s).value();
  for (std::size_t p = 0; p < img.pixelCount(); ++p) REQUIRE(q.u8[p * 4 + 3] == img.u8[p * 4 + 3]);
}

TEST_CASE("per-channel bits and grayscale") {
  Image px = Image::make(1, 1, 3, SampleType::U8);
  px.u8 = {100, 100, 100};
  UniformSettings s;
  s.channelBits = {1, 2, 8};
  const Image q = quantizeUniform(px, s).value();
  CHECK(q.u8 == std::vector<std::uint8_t>{0, 85, 100});
  UniformSettings g;
  g.gray = true;
  g.bits = 8;
  px.u8 = {255, 0, 0};
  const Image y = quantizeUniform(px, g).value();
  REQUIRE(y.channels == 1);
  CHECK(y.u8[0] == (77 * 255 + 128) >> 8);  // 77
  px.u8 = {255, 255, 255};
  CHECK(quantizeUniform(px, g).value().u8[0] == 255);
}

TEST_CASE("every fast path equals the per-sample formula for every value, depth and layout") {
  // The image-level paths (vectorized arithmetic, byte-pair tables, per-channel tables, per-sample
  // loop) must all reproduce quantizeCode + dequantizeCode exactly.
  for (int ch : {1, 2, 3, 4})
    for (Rounding r : {Rounding::Nearest, Rounding::Truncate, Rounding::Seed, Rounding::Stochastic, Rounding::Drop})
      for (int bits = 1; bits <= 8; ++bits) {
        Image img = Image::make(257, 3, ch, SampleType::U8);  // odd length: exercises the pair tail
        for (std::size_t i = 0; i < img.u8.size(); ++i) img.u8[i] = std::uint8_t((i * 7 + i / 5) & 255);
        UniformSettings s;
        s.bits = bits;
        s.rounding = r;
        s.seed = 3;
        const Image q = quantizeUniform(img, s).value();
        const auto k = uniformConstants(bits, 255);
        for (int y = 0; y < img.height; ++y)
          for (int x = 0; x < img.width; ++x)
            for (int c = 0; c < ch; ++c) {
              const std::uint32_t v = img.at(x, y, c);
              const bool alpha = img.hasAlpha() && c == ch - 1;
              const std::uint32_t expect =
                  alpha ? v : dequantizeCode(quantizeCode(v, k, r, Dither::None, std::uint32_t(x), std::uint32_t(y),
                                                          std::uint32_t(c), 3), k, r);
              INFO("ch " << ch << " " << roundingName(r) << " bits " << bits << " at " << x << "," << y << "," << c);
              REQUIRE(q.at(x, y, c) == expect);
            }
      }
}

// The Concepts panel's sentences about the mean, computed: nearest keeps it only on average over
// inputs spread across many levels, not for a flat area; stochastic rounding keeps it in
// expectation, ordered dithering to within 1/128 of a step over each 8x8 tile.
TEST_CASE("what keeps the mean: nearest on a flat area does not, over a ramp it does") {
  Image flat = Image::make(64, 64, 1, SampleType::U8);
  std::fill(flat.u8.begin(), flat.u8.end(), std::uint8_t(100));
  UniformSettings s;
  s.bits = 2;
  auto mean = [](const Image& img) {
    double sum = 0;
    for (auto v : img.u8) sum += v;
    return sum / double(img.u8.size());
  };
  // Nearest: every 100 becomes 85 (100 * 3/255 = 1.18 -> code 1).
  CHECK(mean(quantizeUniform(flat, s).value()) == 85.0);
  // Over the ramp of all 256 values the errors cancel exactly, at every depth.
  for (int bits = 1; bits <= 8; ++bits) {
    s.bits = bits;
    const Image q = quantizeUniform(ramp8(1), s).value();
    long long err = 0;
    for (int v = 0; v < 256; ++v) err += int(q.u8[std::size_t(v)]) - v;
    INFO("bits " << bits);
    CHECK(err == 0);
  }
  s.bits = 2;
  // Ordered (Bayer 8x8): 11 of the 64 thresholds round 100 up to 170: 85 + 85 * 11/64 = 99.609375.
  s.dither = Dither::Ordered;
  CHECK(mean(quantizeUniform(flat, s).value()) == 99.609375);
  // Stochastic: 100 is 17.6% of the way from 85 to 170; the mean of 65536 draws is within 0.5 of 100
  // (four standard deviations: 85 sqrt(0.176 * 0.824) / 256 = 0.13).
  s.dither = Dither::None;
  s.rounding = Rounding::Stochastic;
  s.seed = 3;
  Image big = Image::make(256, 256, 1, SampleType::U8);
  std::fill(big.u8.begin(), big.u8.end(), std::uint8_t(100));
  CHECK(mean(quantizeUniform(big, s).value()) == Approx(100.0).margin(0.5));
}

TEST_CASE("16-bit samples: the float32 contract, not exact rational rounding, from 11 bits up") {
  // 33824 * 2047/65535 = 1056.500008 would round to 1057, but f32(33824) * f32(2047/65535) is
  // exactly 1056.5, which rounds to even. CPU and GPU both compute the float32 formula.
  CHECK(quantizeCode(33824, uniformConstants(11, 65535), Rounding::Nearest, Dither::None, 0, 0, 0, 0) == 1056);
  // Over all 65536 values, bits 11..15: how many codes differ from exact floor / round of
  // v (L-1) / 65535 (bit dropping, in integers, is exact at every depth).
  const std::uint32_t floorDiffers[5] = {4, 0, 10, 15, 0};
  const std::uint32_t roundDiffers[5] = {3, 3, 9, 21, 32};
  for (int bits = 11; bits <= 15; ++bits) {
    const auto k = uniformConstants(bits, 65535);
    const std::uint64_t l1 = (1u << bits) - 1;
    std::uint32_t f = 0, r = 0;
    for (std::uint64_t v = 0; v <= 65535; ++v) {
      f += quantizeCode(std::uint32_t(v), k, Rounding::Truncate, Dither::None, 0, 0, 0, 0) != v * l1 / 65535;
      r += quantizeCode(std::uint32_t(v), k, Rounding::Nearest, Dither::None, 0, 0, 0, 0) != (2 * v * l1 + 65535) / 131070;
    }
    INFO("bits " << bits);
    CHECK(f == floorDiffers[bits - 11]);
    CHECK(r == roundDiffers[bits - 11]);
  }
}
