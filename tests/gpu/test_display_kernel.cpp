// The explorer's display conversion (DeviceImage -> RGBA8 texture) against its CPU mirror, on
// both paths, every layout and both depths, with tiny dispatch grids too.
#include <catch2/catch.hpp>

#include "gpu/display_kernel.hpp"
#include "gpu/selftest.hpp"
#include "gpu_fixture.hpp"

using namespace qviz;
using namespace qviz::gpu;
using qviz::test::GpuFixture;

TEST_CASE_METHOD(GpuFixture, "display conversion equals displayReference on both paths") {
  for (std::uint32_t maxGroups : {65535u, 1u}) {
    GpuEnv e = env();
    e.limits.maxGroups = maxGroups;
    DisplayGpu display(e);
    for (auto type : {core::SampleType::U8, core::SampleType::U16})
      for (int ch : {1, 2, 3, 4}) {
        const core::Image img = selftestImage(45, 29, ch, type, std::uint32_t(ch));
        DeviceImage dev;
        REQUIRE(dev.upload(img).ok());
        const core::Image expect = displayReference(img).value();
        // Hand-checked mapping of the first pixel: high byte for 16-bit, gray replicated, alpha kept.
        const unsigned shift = type == core::SampleType::U16 ? 8 : 0;
        CHECK(expect.u8[0] == std::uint8_t(img.sample(0) >> shift));
        CHECK(expect.u8[2] == std::uint8_t(img.sample(ch >= 3 ? 2 : 0) >> shift));
        CHECK(expect.u8[3] == (img.hasAlpha() ? std::uint8_t(img.sample(std::size_t(ch - 1)) >> shift) : 255));
        for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
          RgbaTexture tex;
          REQUIRE(display.run(dev, tex, path).ok());
          INFO(describeImage(img) << " " << gpuPathName(path) << " max groups " << maxGroups);
          CHECK(tex.read().value() == expect);
        }
      }
  }
  checkClean("display");
}
