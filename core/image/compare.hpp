// compareSamples: two integer images (U8/U16) compared sample by sample, with a tolerance. The one
// comparer behind the explorer's GPU vs CPU panel, `qviz render --check`, the GPU selftest and the
// workshop's `check`; each words its own message from the counts and the first difference.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "image/image.hpp"

namespace qviz::core {

struct SampleComparison {
  // False when the shapes (size, channels, sample type) differ, or either image holds floats: then
  // nothing was compared and the counts below are 0.
  bool comparable = false;
  std::size_t compared = 0;   // samples compared (want.sampleCount())
  std::size_t differing = 0;  // samples with |got - want| > tolerance
  std::uint32_t maxDiff = 0;  // the largest |got - want| over all samples (within tolerance too)
  // The first differing sample in index order (valid when differing > 0).
  std::size_t first = 0;      // its sample index, (y * width + x) * channels + channel
  int x = 0, y = 0, channel = 0;
  std::uint32_t want = 0, got = 0;
  bool same() const { return comparable && differing == 0; }
};

// Compares got against want. `pixelDiffers`, when given, is resized to want.pixelCount() and set to
// 1 for every pixel with a differing sample, 0 for the others (left empty when not comparable).
SampleComparison compareSamples(const Image& want, const Image& got, std::uint32_t tolerance = 0,
                                std::vector<std::uint8_t>* pixelDiffers = nullptr);

}  // namespace qviz::core
