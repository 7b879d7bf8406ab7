// The one translation unit that compiles stb_image (static, PNG/JPEG/BMP/TGA only) with its
// allocations routed through the decode budget in image_io.cpp.
#include <cstddef>

namespace qviz::core::detail {
void* budgetMalloc(std::size_t size);
void* budgetRealloc(void* p, std::size_t newSize);
void budgetFree(void* p);
}  // namespace qviz::core::detail

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_NO_STDIO
#define STBI_MALLOC(sz) qviz::core::detail::budgetMalloc(sz)
#define STBI_REALLOC(p, sz) qviz::core::detail::budgetRealloc(p, sz)
#define STBI_FREE(p) qviz::core::detail::budgetFree(p)
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

int stbInfo(const unsigned char* data, int size, int* w, int* h, int* comp, int* is16) {
  *is16 = stbi_is_16_bit_from_memory(data, size);
  return stbi_info_from_memory(data, size, w, h, comp);
}

void* stbLoad(const unsigned char* data, int size, int* w, int* h, int* comp, bool sixteen) {
  if (sixteen) return stbi_load_16_from_memory(data, size, w, h, comp, 0);
  return stbi_load_from_memory(data, size, w, h, comp, 0);
}

const char* stbFailureReason() { return stbi_failure_reason(); }
void stbFree(void* p) { stbi_image_free(p); }

}  // namespace qviz::core::detail
