// core::compareSamples: exact counts, the first difference, the largest difference, the tolerance,
// the per-pixel mask and the shapes it refuses.
#include <catch2/catch.hpp>

#include "image/compare.hpp"

using namespace qviz::core;

namespace {
Image ramp(int w, int h, int c, SampleType t) {
  Image img = Image::make(w, h, c, t);
  for (std::size_t i = 0; i < img.sampleCount(); ++i) img.setSample(i, std::uint32_t(i * 7 % 251));
  return img;
}
}  // namespace

TEST_CASE("compareSamples: identical images have no difference") {
  const Image a = ramp(5, 3, 3, SampleType::U8);
  const SampleComparison c = compareSamples(a, a);
  CHECK(c.comparable);
  CHECK(c.same());
  CHECK(c.compared == 45);
  CHECK(c.differing == 0);
  CHECK(c.maxDiff == 0);
}

TEST_CASE("compareSamples: counts, first difference in index order, largest difference") {
  const Image want = ramp(5, 3, 3, SampleType::U8);
  Image got = want;
  // Sample 22 = pixel 7 (x 2, y 1), channel 1: +3. Sample 40 = pixel 13 (x 3, y 2), channel 1: -9.
  // Sample 41 = pixel 13, channel 2: +1.
  got.setSample(22, want.sample(22) + 3);
  got.setSample(40, want.sample(40) - 9);
  got.setSample(41, want.sample(41) + 1);
  std::vector<std::uint8_t> mask;
  const SampleComparison c = compareSamples(want, got, 0, &mask);
  CHECK(c.comparable);
  CHECK(!c.same());
  CHECK(c.compared == 45);
  CHECK(c.differing == 3);
  CHECK(c.maxDiff == 9);
  CHECK(c.first == 22);
  CHECK(c.x == 2);
  CHECK(c.y == 1);
  CHECK(c.channel == 1);
  CHECK(c.want == want.sample(22));
  CHECK(c.got == want.sample(22) + 3);
  REQUIRE(mask.size() == 15);
  for (std::size_t p = 0; p < mask.size(); ++p) CHECK(mask[p] == (p == 7 || p == 13 ? 1 : 0));

  // A tolerance of 1 forgives the +1; of 3 the +3 too; the largest difference is reported anyway.
  const SampleComparison t1 = compareSamples(want, got, 1);
  CHECK(t1.differing == 2);
  CHECK(t1.first == 22);
  CHECK(t1.maxDiff == 9);
  const SampleComparison t3 = compareSamples(want, got, 3, &mask);
  CHECK(t3.differing == 1);
  CHECK(t3.first == 40);
  CHECK(t3.x == 3);
  CHECK(t3.y == 2);
  CHECK(t3.channel == 1);
  CHECK(t3.want == want.sample(40));
  CHECK(t3.got == want.sample(40) - 9);
  CHECK(t3.maxDiff == 9);
  for (std::size_t p = 0; p < mask.size(); ++p) CHECK(mask[p] == (p == 13 ? 1 : 0));
  CHECK(compareSamples(want, got, 9).same());
}

TEST_CASE("compareSamples: 16-bit samples, differences past 255") {
  const Image want = ramp(4, 4, 1, SampleType::U16);
  Image got = want;
  got.setSample(15, 65535);
  const SampleComparison c = compareSamples(want, got);
  CHECK(c.differing == 1);
  CHECK(c.maxDiff == 65535 - want.sample(15));
  CHECK(c.x == 3);
  CHECK(c.y == 3);
  CHECK(c.channel == 0);
}

TEST_CASE("compareSamples: different shapes and float images are not comparable") {
  const Image a = ramp(5, 3, 3, SampleType::U8);
  std::vector<std::uint8_t> mask{1, 2, 3};
  for (const Image& b : {ramp(3, 5, 3, SampleType::U8), ramp(5, 3, 4, SampleType::U8), ramp(5, 3, 3, SampleType::U16)}) {
    const SampleComparison c = compareSamples(a, b, 0, &mask);
    CHECK(!c.comparable);
    CHECK(!c.same());
    CHECK(c.compared == 0);
    CHECK(c.differing == 0);
    CHECK(mask.empty());
  }
  const Image f = Image::make(2, 2, 1, SampleType::F32);
  CHECK(!compareSamples(f, f).comparable);
}
