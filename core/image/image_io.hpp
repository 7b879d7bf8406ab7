// Hardened image loading (PNG, JPEG, BMP, TGA via stb_image) and atomic PNG saving (8/16-bit).
// Formats are recognised by content; sizes are checked before decoding; every decoder
// allocation is charged to a budget so a small hostile file cannot allocate gigabytes; and
// loadImage decodes in a short-lived child process with an address-space and a time limit, so
// a decoder that crashes or hangs on a hostile file becomes a message, not a dead app.
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
  int maxSide = 32768;                          // pixels per side
  std::uint64_t maxPixels = 1ull << 28;         // width * height
  std::uint64_t decodeBudgetBytes = 1ull << 30; // all decoder allocations together
  // The isolated decoder (loadImage, decodeImageIsolated): killed after this wall-clock time;
  // its address space may grow by at most 2 * decodeBudgetBytes + addressSpaceSlackBytes over
  // the parent's (not applied under AddressSanitizer, which reserves terabytes of shadow).
  int decodeTimeoutMs = 20000;
  std::uint64_t addressSpaceSlackBytes = 256ull << 20;
  bool isolate = true;  // loadImage only: false decodes in this process (benchmarks)
};

// Recognises PNG, JPEG and BMP by their signatures and TGA by a strict header check.
ImageFormat sniffImageFormat(const std::uint8_t* data, std::size_t size);

// Decodes an in-memory file in this process; `name` only appears in messages ("could not
// decode NAME: why"). The fuzzers use it; the app reads files through loadImage.
Result<Image> decodeImage(const std::uint8_t* data, std::size_t size, const std::string& name,
                          const LoadLimits& limits = {});
// The same in a forked child (Linux, macOS; elsewhere in this process with the same budget).
// A crash, a hang or a malformed answer becomes "could not decode NAME: decoder crashed
// (signal 11)", "...: decoder ran out of time (20 s)", and so on.
Result<Image> decodeImageIsolated(const std::uint8_t* data, std::size_t size, const std::string& name,
                                  const LoadLimits& limits = {});
bool decoderIsolated();  // whether decodeImageIsolated uses a child process on this platform
// Reads a file (capped at maxFileBytes) and decodes it isolated (unless limits.isolate is false).
Result<Image> loadImage(const std::string& path, const LoadLimits& limits = {});

namespace detail {
// Tests only: makes the next isolated decoders misbehave in their child process, to prove that
// a crash, a hang, a runaway allocation or a garbled answer becomes a message. The default,
// None, is what production runs; nothing but a test calls this.
enum class DecoderFault { None, Crash, Hang, Exhaust, Garble };
void setDecoderFaultForTesting(DecoderFault fault);
}  // namespace detail

// PNG encoding of U8/U16 images with 1-4 channels (zlib, Paeth filter).
Result<std::vector<std::uint8_t>> encodePng(const Image& image, int compressionLevel = 6);
// Atomic save; refuses to overwrite any path listed in `inputs`.
Status savePng(const Image& image, const std::string& path, const std::vector<std::string>& inputs = {});

}  // namespace qviz::core
