// Hardened image loading (PNG, JPEG, BMP, TGA via stb_image) and atomic PNG saving (8/16-bit).
// Formats are recognised by content; sizes are checked before decoding; every decoder
// allocation is charged to a budget so a small hostile file cannot allocate gigabytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "util/result.hpp"

namespace qviz::core {

enum class ImageFormat { Unknown, Png, Jpeg, Bmp, Tga };
const char* imageFormatName(ImageFormat f);

struct LoadLimits {
  std::uint64_t maxFileBytes = 256ull << 20;    // 256 MiB on disk
  int maxSide = 16384;                          // pixels per side
  std::uint64_t maxPixels = 1ull << 28;         // width * height
  std::uint64_t decodeBudgetBytes = 1ull << 30; // all decoder allocations together
};

// Recognises PNG, JPEG and BMP by their signatures and TGA by a strict header check.
ImageFormat sniffImageFormat(const std::uint8_t* data, std::size_t size);

// Decodes an in-memory file; `name` only appears in messages ("could not decode NAME: why").
Result<Image> decodeImage(const std::uint8_t* data, std::size_t size, const std::string& name,
                          const LoadLimits& limits = {});
Result<Image> loadImage(const std::string& path, const LoadLimits& limits = {});

// PNG encoding of U8/U16 images with 1-4 channels (zlib, Paeth filter).
Result<std::vector<std::uint8_t>> encodePng(const Image& image, int compressionLevel = 6);
// Atomic save; refuses to overwrite any path listed in `inputs`.
Status savePng(const Image& image, const std::string& path, const std::vector<std::string>& inputs = {});

}  // namespace qviz::core
