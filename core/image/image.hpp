// Image: an interleaved buffer of 8-bit, 16-bit or float samples with 1-4 channels
// (gray, gray+alpha, RGB, RGBA). Plain data; the quantizers and metrics work on it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace qviz::core {

enum class SampleType : std::uint8_t { U8, U16, F32 };

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;  // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  SampleType type = SampleType::U8;
  std::vector<std::uint8_t> u8;    // used when type == U8
  std::vector<std::uint16_t> u16;  // used when type == U16
  std::vector<float> f32;          // used when type == F32

  static Image make(int width, int height, int channels, SampleType type);

  bool empty() const { return width <= 0 || height <= 0 || channels <= 0; }
  std::size_t pixelCount() const { return std::size_t(width) * std::size_t(height); }
  std::size_t sampleCount() const { return pixelCount() * std::size_t(channels); }
  int bitDepth() const { return type == SampleType::U8 ? 8 : type == SampleType::U16 ? 16 : 32; }
  // Largest sample value of the integer types (255 or 65535); 1 for float images.
  std::uint32_t vmax() const { return type == SampleType::U8 ? 255u : type == SampleType::U16 ? 65535u : 1u; }
  bool hasAlpha() const { return channels == 2 || channels == 4; }
  int colorChannels() const { return hasAlpha() ? channels - 1 : channels; }
  std::size_t bytesPerSample() const { return type == SampleType::U8 ? 1 : type == SampleType::U16 ? 2 : 4; }
  std::size_t byteSize() const { return sampleCount() * bytesPerSample(); }

  // Integer sample access (U8/U16). Index is (y * width + x) * channels + c.
  std::uint32_t sample(std::size_t index) const { return type == SampleType::U8 ? u8[index] : u16[index]; }
  void setSample(std::size_t index, std::uint32_t v) {
    if (type == SampleType::U8) u8[index] = static_cast<std::uint8_t>(v);
    else u16[index] = static_cast<std::uint16_t>(v);
  }
  std::uint32_t at(int x, int y, int c) const {
    return sample((std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c));
  }
  bool sameShape(const Image& o) const {
    return width == o.width && height == o.height && channels == o.channels && type == o.type;
  }
  bool operator==(const Image& o) const = default;
};

const char* channelLayoutName(int channels);  // "gray", "gray+alpha", "RGB", "RGBA"

// Copy of a rectangle (clamped to the image).
Image crop(const Image& src, int x, int y, int w, int h);
// Integer luma of an 8- or 16-bit image: Y = (77 R + 150 G + 29 B + 128) >> 8; alpha kept.
// Gray inputs are returned unchanged.
Image toGray(const Image& src);
// Expands gray (+alpha) to RGB (+alpha) by replication; RGB(A) is returned unchanged.
Image toRgb(const Image& src);
// Nearest-neighbour-free box/bilinear resize used for previews and LoRA targets (float math).
Image resizeBilinear(const Image& src, int width, int height);

// Box-filter reduction by the smallest integer factor k that brings both sides to at most
// maxSide: the result is ceil(w/k) x ceil(h/k), each sample the mean of its k x k block (blocks on
// the right and bottom edges average the pixels that exist), rounded half up for 8/16-bit
// samples. Same channels and sample type. An image that already fits (or maxSide < 1) is copied.
Image downscaleToFit(const Image& src, int maxSide);
// For displays with a texture size limit: when img is larger than maxTextureSize on a side,
// replaces it with downscaleToFit(img, maxTextureSize) and returns the notice to show the user
// (naming `name`); returns "" and leaves img alone when it fits or the limit is unknown (< 1).
std::string fitToTextureLimit(Image& img, int maxTextureSize, const std::string& name);

}  // namespace qviz::core
