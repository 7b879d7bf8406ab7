// libFuzzer harness for the in-process image decoder (core::decodeImage: content sniffing, header
// checks and stb_image under its allocation budget). Checks the decoded image's shape and buffer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "image/image_io.hpp"

using namespace qviz::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The app's limits, except fewer pixels and a smaller budget: a tiny file claiming 16384^2
  // pixels is refused by the same checks either way, and big decodes only slow the fuzzer down.
  LoadLimits limits;
  limits.maxPixels = 1ull << 20;
  limits.decodeBudgetBytes = 64ull << 20;

  const ImageFormat sniffed = sniffImageFormat(data, size);
  auto img = decodeImage(data, size, "fuzz", limits);
  if (!img) {
    FUZZ_CHECK(img.error().rfind("could not decode fuzz: ", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(sniffed != ImageFormat::Unknown);
  FUZZ_CHECK(img->width > 0 && img->height > 0);
  FUZZ_CHECK(img->width <= limits.maxSide && img->height <= limits.maxSide);
  FUZZ_CHECK(img->pixelCount() <= limits.maxPixels);
  FUZZ_CHECK(img->channels >= 1 && img->channels <= 4);
  FUZZ_CHECK(img->type == SampleType::U8 || img->type == SampleType::U16);
  FUZZ_CHECK(img->type == SampleType::U8 || sniffed == ImageFormat::Png);  // 16 bits only from PNG
  const std::size_t samples = std::size_t(img->width) * std::size_t(img->height) * std::size_t(img->channels);
  FUZZ_CHECK(img->byteSize() == samples * (img->type == SampleType::U8 ? 1u : 2u));
  FUZZ_CHECK(img->type == SampleType::U8 ? img->u8.size() == samples && img->u16.empty()
                                         : img->u16.size() == samples && img->u8.empty());
  FUZZ_CHECK(img->f32.empty());
  // Every sample is readable (ASan sees a short buffer) and within the type's range.
  unsigned long long sum = 0;
  for (std::size_t i = 0; i < samples; ++i) sum += img->sample(i);
  FUZZ_CHECK(sum <= samples * img->vmax());
  return 0;
}
