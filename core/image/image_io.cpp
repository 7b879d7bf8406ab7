// Image loading with content sniffing, size checks and a decode budget; PNG encoding with zlib.
#include "image/image_io.hpp"

#include <zlib.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "util/fs.hpp"

namespace qviz::core {
namespace detail {
int stbInfo(const unsigned char* data, int size, int* w, int* h, int* comp, int* is16);
void* stbLoad(const unsigned char* data, int size, int* w, int* h, int* comp, bool sixteen);
const char* stbFailureReason();
void stbFree(void* p);

// The decode budget: every stb allocation carries a 16-byte header with its size and is
// charged to the calling thread's budget; an allocation past the limit returns null, which
// stb_image reports as "outofmem".
namespace {
struct Budget {
  std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t used = 0;
  std::uint64_t peak = 0;
  bool exceeded = false;
};
thread_local Budget t_budget;
constexpr std::size_t kHeader = 16;
}  // namespace

void* budgetMalloc(std::size_t size) {
  if (size > t_budget.limit - std::min(t_budget.limit, t_budget.used)) {
    t_budget.exceeded = true;
    return nullptr;
  }
  auto* raw = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (!raw) return nullptr;
  std::memcpy(raw, &size, sizeof size);
  t_budget.used += size;
  t_budget.peak = std::max(t_budget.peak, t_budget.used);
  return raw + kHeader;
}

void budgetFree(void* p) {
  if (!p) return;
  auto* raw = static_cast<unsigned char*>(p) - kHeader;
  std::size_t size = 0;
  std::memcpy(&size, raw, sizeof size);
  t_budget.used -= std::min<std::uint64_t>(t_budget.used, size);
  std::free(raw);
}

void* budgetRealloc(void* p, std::size_t newSize) {
  if (!p) return budgetMalloc(newSize);
  auto* raw = static_cast<unsigned char*>(p) - kHeader;
  std::size_t old = 0;
  std::memcpy(&old, raw, sizeof old);
  if (newSize > old && newSize - old > t_budget.limit - std::min(t_budget.limit, t_budget.used)) {
    t_budget.exceeded = true;
    return nullptr;
  }
  auto* grown = static_cast<unsigned char*>(std::realloc(raw, newSize + kHeader));
  if (!grown) return nullptr;
  std::memcpy(grown, &newSize, sizeof newSize);
  t_budget.used = t_budget.used - old + newSize;
  t_budget.peak = std::max(t_budget.peak, t_budget.used);
  return grown + kHeader;
}
}  // namespace detail

const char* imageFormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::Tga: return "TGA";
    default: return "unknown";
  }
}

ImageFormat sniffImageFormat(const std::uint8_t* d, std::size_t n) {
  static const std::uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 8 && std::memcmp(d, png, 8) == 0) return ImageFormat::Png;
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return ImageFormat::Jpeg;
  if (n >= 26 && d[0] == 'B' && d[1] == 'M') return ImageFormat::Bmp;
  // TGA has no signature: accept only a fully plausible 18-byte header.
  if (n >= 18) {
    const int idLen = d[0], cmapType = d[1], type = d[2];
    const int cmapLen = d[5] | (d[6] << 8), cmapBits = d[7];
    const int w = d[12] | (d[13] << 8), h = d[14] | (d[15] << 8), bpp = d[16];
    const bool typeOk = type == 1 || type == 2 || type == 3 || type == 9 || type == 10 || type == 11;
    const bool mapped = type == 1 || type == 9;
    const bool cmapOk = mapped ? (cmapType == 1 && cmapLen > 0 &&
                                  (cmapBits == 15 || cmapBits == 16 || cmapBits == 24 || cmapBits == 32) && bpp == 8)
                               : cmapType == 0;
    const bool bppOk = bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
    if (typeOk && cmapOk && bppOk && w > 0 && h > 0 && std::size_t(18 + idLen) <= n) return ImageFormat::Tga;
  }
  return ImageFormat::Unknown;
}

Result<Image> decodeImage(const std::uint8_t* data, std::size_t size, const std::string& name,
                          const LoadLimits& limits) {
  const std::string prefix = "could not decode " + name + ": ";
  if (size == 0) return fail(prefix + "the file is empty");
  if (size > limits.maxFileBytes || size > std::size_t(std::numeric_limits<int>::max()))
    return fail(prefix + "the file is " + std::to_string(size) + " bytes, over the limit of " +
                std::to_string(limits.maxFileBytes));
  const ImageFormat fmt = sniffImageFormat(data, size);
  if (fmt == ImageFormat::Unknown)
    return fail(prefix + "not a PNG, JPEG, BMP or TGA file (recognised by content, not by name)");

  int w = 0, h = 0, comp = 0, is16 = 0;
  if (fmt == ImageFormat::Png) {
    // Read IHDR ourselves: stb_image's info call rejects large headers with a generic message.
    if (size < 33 || std::memcmp(data + 12, "IHDR", 4) != 0) return fail(prefix + "damaged PNG header (no IHDR)");
    auto be32 = [&](std::size_t o) {
      return (std::uint32_t(data[o]) << 24) | (std::uint32_t(data[o + 1]) << 16) | (std::uint32_t(data[o + 2]) << 8) |
             std::uint32_t(data[o + 3]);
    };
    const std::uint32_t pw = be32(16), ph = be32(20);
    const int depth = data[24], colorType = data[25];
    static const int kChannels[7] = {1, 0, 3, 3, 2, 0, 4};
    if (colorType > 6 || kChannels[colorType] == 0) return fail(prefix + "damaged PNG header (bad colour type)");
    if (pw == 0 || ph == 0) return fail(prefix + "damaged PNG header (zero size)");
    if (pw > std::uint32_t(limits.maxSide) || ph > std::uint32_t(limits.maxSide))
      return fail(prefix + "image is " + std::to_string(pw) + "x" + std::to_string(ph) + ", larger than " +
                  std::to_string(limits.maxSide) + " pixels per side");
    w = int(pw);
    h = int(ph);
    comp = kChannels[colorType];
    is16 = depth == 16;
    // Palette images with transparency decode to RGBA.
    int sw = 0, sh = 0, sc = 0, s16 = 0;
    if (detail::stbInfo(data, int(size), &sw, &sh, &sc, &s16)) comp = sc;
  } else if (!detail::stbInfo(data, int(size), &w, &h, &comp, &is16)) {
    return fail(prefix + "damaged " + imageFormatName(fmt) + " header (" + detail::stbFailureReason() + ")");
  }
  if (w <= 0 || h <= 0 || comp < 1 || comp > 4) return fail(prefix + "invalid image dimensions");
  if (w > limits.maxSide || h > limits.maxSide)
    return fail(prefix + "image is " + std::to_string(w) + "x" + std::to_string(h) + ", larger than " +
                std::to_string(limits.maxSide) + " pixels per side");
  const std::uint64_t pixels = std::uint64_t(w) * std::uint64_t(h);
  if (pixels > limits.maxPixels)
    return fail(prefix + "image has " + std::to_string(pixels) + " pixels, more than the limit of " +
                std::to_string(limits.maxPixels));
  const bool sixteen = is16 && fmt == ImageFormat::Png;
  const std::uint64_t outBytes = pixels * std::uint64_t(comp) * (sixteen ? 2u : 1u);
  // The decoder needs the output plus working buffers (zlib window, filtered rows, JPEG planes).
  const std::uint64_t need = outBytes * 3 + (32ull << 20);
  if (outBytes * 2 > limits.decodeBudgetBytes)
    // The decoded image may use half of the budget (the decoder's buffers need the rest): say that
    // half, and round the need up, so the two numbers always compare the way the check did.
    return fail(prefix + "the decoded image needs " + std::to_string((outBytes + (1u << 20) - 1) >> 20) +
                " MiB, more than the " + std::to_string(limits.decodeBudgetBytes >> 21) +
                " MiB a decoded image may use (half of the decode budget of " +
                std::to_string(limits.decodeBudgetBytes >> 20) + " MiB)");

  detail::t_budget = {};
  detail::t_budget.limit = std::min(need, limits.decodeBudgetBytes);
  int dw = 0, dh = 0, dc = 0;
  void* pixelsPtr = detail::stbLoad(data, int(size), &dw, &dh, &dc, sixteen);
  const bool exceeded = detail::t_budget.exceeded;
  if (!pixelsPtr) {
    detail::t_budget = {};
    if (exceeded) return fail(prefix + "the decoder went over its memory budget (hostile or damaged file)");
    return fail(prefix + "damaged " + std::string(imageFormatName(fmt)) + " data (" + detail::stbFailureReason() + ")");
  }
  if (dw != w || dh != h || dc != comp) {
    detail::stbFree(pixelsPtr);
    detail::t_budget = {};
    return fail(prefix + "header and decoded data disagree");
  }
  Image img = Image::make(w, h, comp, sixteen ? SampleType::U16 : SampleType::U8);
  if (sixteen) std::memcpy(img.u16.data(), pixelsPtr, img.byteSize());
  else std::memcpy(img.u8.data(), pixelsPtr, img.byteSize());
  detail::stbFree(pixelsPtr);
  detail::t_budget = {};
  return img;
}

Result<Image> loadImage(const std::string& path, const LoadLimits& limits) {
  auto bytes = readFile(path, limits.maxFileBytes);
  if (!bytes) return fail("could not decode " + path + ": " + bytes.error());
  if (!limits.isolate) return decodeImage(bytes->data(), bytes->size(), path, limits);
  return decodeImageIsolated(bytes->data(), bytes->size(), path, limits);
}

namespace {
void putBe32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(std::uint8_t(v >> 24));
  out.push_back(std::uint8_t(v >> 16));
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}
void putChunk(std::vector<std::uint8_t>& out, const char* type, const std::uint8_t* data, std::size_t n) {
  putBe32(out, std::uint32_t(n));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  if (n) out.insert(out.end(), data, data + n);
  const uLong crc = crc32(0L, out.data() + start, uInt(n + 4));
  putBe32(out, std::uint32_t(crc));
}
inline std::uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return std::uint8_t(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}
}  // namespace

Result<std::vector<std::uint8_t>> encodePng(const Image& img, int level) {
  if (img.empty()) return fail("cannot encode an empty image");
  if (img.type == SampleType::F32) return fail("cannot encode a float image as PNG");
  const std::size_t bps = img.bytesPerSample();
  const std::size_t bpp = bps * std::size_t(img.channels);
  const std::size_t rowBytes = bpp * std::size_t(img.width);
  // Big-endian raw rows first, then Paeth-filtered rows with their filter byte.
  std::vector<std::uint8_t> filtered((rowBytes + 1) * std::size_t(img.height));
  std::vector<std::uint8_t> prev(rowBytes, 0), cur(rowBytes);
  for (int y = 0; y < img.height; ++y) {
    const std::size_t base = std::size_t(y) * std::size_t(img.width) * std::size_t(img.channels);
    if (bps == 1) {
      std::memcpy(cur.data(), img.u8.data() + base, rowBytes);
    } else {
      for (std::size_t i = 0; i < rowBytes / 2; ++i) {
        cur[2 * i] = std::uint8_t(img.u16[base + i] >> 8);
        cur[2 * i + 1] = std::uint8_t(img.u16[base + i] & 0xFF);
      }
    }
    std::uint8_t* dst = filtered.data() + std::size_t(y) * (rowBytes + 1);
    dst[0] = 4;  // Paeth
    for (std::size_t i = 0; i < rowBytes; ++i) {
      const int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      dst[1 + i] = std::uint8_t(cur[i] - paeth(a, b, c));
    }
    std::swap(prev, cur);
  }
  uLongf zlen = compressBound(uLong(filtered.size()));
  std::vector<std::uint8_t> z(zlen);
  if (compress2(z.data(), &zlen, filtered.data(), uLong(filtered.size()), level) != Z_OK)
    return fail("PNG compression failed");
  std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  std::uint8_t ihdr[13];
  const std::uint32_t w = std::uint32_t(img.width), h = std::uint32_t(img.height);
  for (int i = 0; i < 4; ++i) {
    ihdr[i] = std::uint8_t(w >> (24 - 8 * i));
    ihdr[4 + i] = std::uint8_t(h >> (24 - 8 * i));
  }
  static const std::uint8_t colorType[5] = {0, 0, 4, 2, 6};
  ihdr[8] = std::uint8_t(bps * 8);
  ihdr[9] = colorType[img.channels];
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  putChunk(out, "IHDR", ihdr, 13);
  putChunk(out, "IDAT", z.data(), zlen);
  putChunk(out, "IEND", nullptr, 0);
  return out;
}

Status savePng(const Image& image, const std::string& path, const std::vector<std::string>& inputs) {
  for (const auto& in : inputs)
    if (samePath(in, path)) return fail("refusing to overwrite the input " + in + " with an output");
  auto png = encodePng(image);
  if (!png) return fail("cannot write " + path + ": " + png.error());
  return writeFileAtomic(path, png->data(), png->size());
}

}  // namespace qviz::core
