// Sample-by-sample comparison of two integer images.
#include "image/compare.hpp"

namespace qviz::core {

SampleComparison compareSamples(const Image& want, const Image& got, std::uint32_t tolerance,
                                std::vector<std::uint8_t>* pixelDiffers) {
  SampleComparison c;
  if (pixelDiffers) pixelDiffers->clear();
  if (!want.sameShape(got) || want.type == SampleType::F32) return c;
  c.comparable = true;
  c.compared = want.sampleCount();
  const std::size_t ch = std::size_t(want.channels);
  if (pixelDiffers) pixelDiffers->assign(want.pixelCount(), 0);
  for (std::size_t i = 0; i < c.compared; ++i) {
    const std::uint32_t w = want.sample(i), g = got.sample(i);
    const std::uint32_t d = g > w ? g - w : w - g;
    if (d > c.maxDiff) c.maxDiff = d;
    if (d <= tolerance) continue;
    if (pixelDiffers) (*pixelDiffers)[i / ch] = 1;
    if (c.differing++ == 0) {
      const std::size_t pixel = i / ch;
      c.first = i;
      c.x = int(pixel % std::size_t(want.width));
      c.y = int(pixel / std::size_t(want.width));
      c.channel = int(i % ch);
      c.want = w;
      c.got = g;
    }
  }
  return c;
}

}  // namespace qviz::core
