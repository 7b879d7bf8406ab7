// Metrics against the outside reference (scikit-image 0.19 on the sample images) and hand cases.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "image/image_io.hpp"
#include "metrics/metrics.hpp"
#include "test_support.hpp"

using namespace qviz::core;
using qviz::test::data;

TEST_CASE("MSE, PSNR, SSIM and levels match scikit-image on the sample images") {
  std::ifstream in(data("image_metrics.json"));
  const auto ref = nlohmann::json::parse(in);
  REQUIRE(ref.size() == 16);
  for (const auto& e : ref) {
    const std::string name = e["image"];
    const Image img = loadImage(data(name)).value();
    UniformSettings s;
    s.bits = e["bits"];
    REQUIRE(parseRounding(e["rounding"], s.rounding));
    const Image q = quantizeUniform(img, s).value();
    const ImageMetrics m = computeMetrics(img, img, q, s);
    INFO(name << " bits " << s.bits << " " << roundingName(s.rounding));
    CHECK(std::abs(m.mse - double(e["mse"])) <= 5.1e-7);  // the reference is rounded to 6 decimals
    REQUIRE(m.psnrDb.has_value());
    CHECK(*m.psnrDb == Approx(double(e["psnr_db"])).margin(1e-6));
    REQUIRE(m.ssim.has_value());
    CHECK(std::abs(*m.ssim - double(e["ssim"])) <= 1e-4);
    CHECK(m.levelsUsed == std::uint32_t(e["levels_used"]));
  }
}

TEST_CASE("identical images: MSE 0, no PSNR, SSIM 1") {
  const Image img = qviz::test::randomImage(40, 30, 3, SampleType::U8, 1);
  CHECK(sumSquaredError(img, img) == 0);
  CHECK(!psnrFromMse(meanSquaredError(img, img), 255).has_value());
  CHECK(ssim(img, img).value() == Approx(1.0).margin(1e-6));
  CHECK(maxAbsError(img, img) == 0);
}

TEST_CASE("hand-computed errors exclude alpha") {
  Image a = Image::make(2, 1, 4, SampleType::U8), b = a;
  a.u8 = {10, 20, 30, 0, 0, 0, 0, 255};
  b.u8 = {13, 20, 26, 99, 0, 0, 1, 0};
  CHECK(sumSquaredError(a, b) == 9 + 16 + 1);
  CHECK(meanSquaredError(a, b) == Approx(26.0 / 6.0));
  CHECK(maxAbsError(a, b) == 4);
  CHECK(*psnrFromMse(26.0 / 6.0, 255) == Approx(10 * std::log10(255.0 * 255.0 / (26.0 / 6.0))));
  CHECK(levelsUsed(b) == 5);  // 13, 20, 26, 0, 1 (alpha 99 excluded)
  CHECK(!ssim(a, b).has_value());  // smaller than the 11x11 window
}

TEST_CASE("histograms and storage accounting") {
  Image img = Image::make(2, 2, 3, SampleType::U8);
  img.u8 = {0, 0, 0, 255, 255, 255, 0, 128, 255, 7, 7, 7};
  const auto h = histograms(img);
  REQUIRE(h.size() == 3);
  CHECK(h[0][0] == 2);
  CHECK(h[0][255] == 1);
  CHECK(h[0][7] == 1);
  CHECK(h[1][128] == 1);
  UniformSettings s;
  s.bits = 4;
  const StorageInfo st = storageInfo(img, img, s);
  CHECK(st.bitsPerSample == 4.0);
  CHECK(st.storedBytes == 6);  // 4 pixels * 12 bits / 8
  CHECK(st.originalBytes == 12);
  CHECK(st.compressionRatio == 2.0);
  s.channelBits = {5, 6, 5};
  CHECK(storageInfo(img, img, s).storedBytes == 8);  // 4 * 16 / 8
  Image rgba = Image::make(3, 1, 4, SampleType::U8);
  s = {};
  s.bits = 1;
  CHECK(storageInfo(rgba, rgba, s).storedBytes == 2 + 3);  // 9 bits packed + 3 alpha bytes
  Image wide = Image::make(1, 1, 3, SampleType::U16);
  wide.u16 = {0x1234, 0xFF00, 0x00FF};
  const auto h16 = histograms(wide);
  CHECK(h16[0][0x12] == 1);
  CHECK(h16[1][0xFF] == 1);
  CHECK(h16[2][0] == 1);
}

TEST_CASE("Gaussian taps are normalised and symmetric") {
  const auto w = ssimGaussianTaps();
  double sum = 0;
  for (float x : w) sum += x;
  CHECK(sum == Approx(1.0).epsilon(1e-6));
  for (int i = 0; i < 5; ++i) CHECK(w[std::size_t(i)] == w[std::size_t(10 - i)]);
  CHECK(w[5] == Approx(0.26596).epsilon(1e-3));
}
