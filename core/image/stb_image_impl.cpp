// The one translation unit that compiles stb_image (static, PNG/JPEG/BMP/TGA only) with its
// allocations routed through the decode budget in image_io.cpp.
#include <climits>
#include <cstddef>
#include <cstring>

namespace qviz::core::detail {
void* budgetMalloc(std::size_t size);
void* budgetRealloc(void* p, std::size_t newSize);
void budgetFree(void* p);

// stb_image 2.27 does not clear its JPEG decoder state: a scan that names a Huffman table no DHT
// defined decodes with whatever the heap held, and a garbage code becomes a symbol index millions
// of entries outside the table (found by fuzzing: an out-of-bounds read; upstream clears the state
// since 2.28). Every stb allocation starts zeroed, so such a table is empty and decoding fails.
inline void* zeroedBudgetMalloc(std::size_t size) {
  void* p = budgetMalloc(size);
  if (p) std::memset(p, 0, size);
  return p;
}
}  // namespace qviz::core::detail

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_NO_STDIO
#define STBI_MALLOC(sz) qviz::core::detail::zeroedBudgetMalloc(sz)
#define STBI_REALLOC(p, sz) qviz::core::detail::budgetRealloc(p, sz)
#define STBI_FREE(p) qviz::core::detail::budgetFree(p)
// stb_image asserts on states a damaged JPEG can reach (found by fuzzing: a Huffman code that does
// not match its table once the bit reader ran dry), so a Debug build aborted on a hostile file.
// Its asserts are off in every build, as in Release; under the fuzzers ASan checks the memory.
#define STBI_ASSERT(x) ((void)0)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace qviz::core::detail {
namespace {

// stb_image 2.27 (Debian's) trusts the 16 code counts of a JPEG DHT table: when they add up to more
// than 256 symbols it writes past its 257-entry size list and its 256 symbol values, into the rest
// of the decoder state and beyond (found by fuzzing; upstream checks this since 2.28). Before stb
// sees a JPEG, walk it the way stb does (marker segments skipped by their lengths, entropy-coded
// data byte by byte, bytes past the end reading as 0 like stbi__get8) and refuse such a table.
bool jpegHuffmanTablesFit(const unsigned char* d, std::size_t n) {
  auto at = [&](std::size_t i) -> std::size_t { return i < n ? d[i] : 0; };
  std::size_t i = 0;
  while (i < n) {
    if (d[i] != 0xFF) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < n && d[j] == 0xFF) ++j;  // fill bytes
    if (j >= n) break;
    const std::size_t m = d[j];
    // Stuffed zero, RSTn, SOI, EOI, TEM: no length follows.
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD9)) {
      i = j + 1;
      continue;
    }
    const std::size_t len = at(j + 1) << 8 | at(j + 2);
    if (m == 0xC4) {
      // Tables follow each other until len - 2 bytes are used: class/id, 16 counts, the symbols.
      for (std::size_t p = j + 3; p < j + 1 + len;) {
        std::size_t symbols = 0;
        for (std::size_t k = 1; k <= 16; ++k) symbols += at(p + k);
        if (symbols > 256) return false;
        p += 17 + symbols;
      }
    }
    // A segment too short to hold its own length is an error for stb; scan on byte by byte.
    i = len >= 2 ? j + 1 + len : j + 1;
  }
  return true;
}

bool isJpeg(const unsigned char* data, int size) { return size >= 2 && data[0] == 0xFF && data[1] == 0xD8; }

}  // namespace

int stbInfo(const unsigned char* data, int size, int* w, int* h, int* comp, int* is16) {
  *is16 = 0;
  if (isJpeg(data, size) && !jpegHuffmanTablesFit(data, std::size_t(size))) return stbi__err("bad DHT header", "Corrupt JPEG");
  *is16 = stbi_is_16_bit_from_memory(data, size);
  const int ok = stbi_info_from_memory(data, size, w, h, comp);
  // A negative BMP height means rows stored top-down: stb's loader decodes |height| rows, but its
  // info call passes the sign through, which made every top-down BMP look damaged.
  if (ok && size >= 2 && data[0] == 'B' && data[1] == 'M' && *h < 0 && *h != INT_MIN) *h = -*h;
  return ok;
}

void* stbLoad(const unsigned char* data, int size, int* w, int* h, int* comp, bool sixteen) {
  if (isJpeg(data, size) && !jpegHuffmanTablesFit(data, std::size_t(size))) return stbi__errpuc("bad DHT header", "Corrupt JPEG");
  if (sixteen) return stbi_load_16_from_memory(data, size, w, h, comp, 0);
  return stbi_load_from_memory(data, size, w, h, comp, 0);
}

const char* stbFailureReason() { return stbi_failure_reason(); }
void stbFree(void* p) { stbi_image_free(p); }

}  // namespace qviz::core::detail
