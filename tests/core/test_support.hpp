// Small helpers shared by the core tests: paths into tests/data and synthetic images.
#pragma once
#include <cstdint>
#include <random>
#include <string>

#include "image/image.hpp"

namespace qviz::test {

inline std::string data(const std::string& rel) { return std::string(QVIZ_TEST_DATA) + "/" + rel; }

// Every 8-bit value in a 256x1 gray ramp (or repeated over `channels`).
inline core::Image ramp8(int channels = 1) {
  core::Image img = core::Image::make(256, 1, channels, core::SampleType::U8);
  for (int x = 0; x < 256; ++x)
    for (int c = 0; c < channels; ++c) img.u8[std::size_t(x * channels + c)] = std::uint8_t(x);
  return img;
}

inline core::Image randomImage(int w, int h, int channels, core::SampleType type, std::uint32_t seed) {
  core::Image img = core::Image::make(w, h, channels, type);
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < img.sampleCount(); ++i) img.setSample(i, static_cast<std::uint32_t>(rng() % (img.vmax() + 1)));
  return img;
}

}  // namespace qviz::test
