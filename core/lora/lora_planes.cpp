// Image <-> planes mappings, the signed heatmap and the blocked (deterministic) mean square.
#include "lora/lora_planes.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>

namespace qviz::core {
namespace {
// NaN (a diverged run) becomes 0 rather than undefined behaviour in the cast.
std::uint8_t clampToByte(float v) { return static_cast<std::uint8_t>(v > 0.0f ? (v < 255.0f ? v : 255.0f) : 0.0f); }
}  // namespace

LoraPlanes LoraPlanes::make(int rows, int cols) {
  LoraPlanes p;
  p.rows = rows;
  p.cols = cols;
  p.data.assign(std::size_t(kChannels) * std::size_t(rows) * std::size_t(cols), 0.0f);
  return p;
}

Result<LoraPlanes> imageToPlanes(const Image& image) {
  if (image.empty()) return fail("the image is empty");
  if (image.type == SampleType::F32) return fail("float images are not supported here; use an 8- or 16-bit image");
  const Image rgb = toRgb(image);
  // 8-bit: v / 127.5 - 1, the contract; 16-bit: v / 32767.5 - 1.
  const float half = float(rgb.vmax()) * 0.5f;
  LoraPlanes p = LoraPlanes::make(rgb.height, rgb.width);
  const std::size_t ch = std::size_t(rgb.channels), n = rgb.pixelCount();
  for (int c = 0; c < LoraPlanes::kChannels; ++c) {
    float* out = p.channel(c);
    for (std::size_t i = 0; i < n; ++i) out[i] = float(rgb.sample(i * ch + std::size_t(c))) / half - 1.0f;
  }
  return p;
}

Result<LoraPlanes> imageToPlanesCropped(const Image& image, int rows, int cols) {
  if (image.empty()) return fail("the image is empty");
  if (rows <= 0 || cols <= 0) return fail("the target size must be positive");
  // Centre crop to the aspect cols:rows (in integer pixels), then resize: one resampling only.
  int cw = image.width, chh = image.height;
  if (std::int64_t(image.width) * rows > std::int64_t(image.height) * cols)
    cw = std::clamp(int(std::lround(double(image.height) * cols / rows)), 1, image.width);
  else
    chh = std::clamp(int(std::lround(double(image.width) * rows / cols)), 1, image.height);
  const Image cropped = crop(image, (image.width - cw) / 2, (image.height - chh) / 2, cw, chh);
  if (cropped.width == cols && cropped.height == rows) return imageToPlanes(cropped);
  return imageToPlanes(resizeBilinear(cropped, cols, rows));
}

Image planesToImage(const LoraPlanes& planes) {
  Image img = Image::make(planes.cols, planes.rows, 3, SampleType::U8);
  const std::size_t n = planes.channelSize();
  for (int c = 0; c < LoraPlanes::kChannels; ++c) {
    const float* in = planes.channel(c);
    for (std::size_t i = 0; i < n; ++i) {
      img.u8[i * 3 + std::size_t(c)] = clampToByte(std::nearbyint((in[i] + 1.0f) * 127.5f));
    }
  }
  return img;
}

Image signedPlanesToImage(const LoraPlanes& planes, float range) {
  Image img = Image::make(planes.cols, planes.rows, 3, SampleType::U8);
  const std::size_t n = planes.channelSize();
  // Multiply by a reciprocal computed once: no division per sample.
  const float k = range > 0 ? 127.5f / range : 0.0f;
  for (int c = 0; c < LoraPlanes::kChannels; ++c) {
    const float* in = planes.channel(c);
    for (std::size_t i = 0; i < n; ++i) {
      img.u8[i * 3 + std::size_t(c)] = clampToByte(std::nearbyint(127.5f + in[i] * k));
    }
  }
  return img;
}

float maxAbs(const LoraPlanes& planes) {
  float m = 0;
  for (float v : planes.data) m = std::max(m, std::fabs(v));
  return m;
}

double sumSquares(const float* x, std::size_t count) {
  // Vectorised float sums over short chunks, added in double: as accurate as needed for a loss
  // (relative error ~1e-7) at a tenth of the cost of converting every value to double.
  constexpr std::size_t kChunk = 256;
  double sum = 0;
  for (std::size_t i = 0; i < count; i += kChunk) {
    const std::size_t len = std::min(kChunk, count - i);
    sum += double(Eigen::Map<const Eigen::VectorXf>(x + i, Eigen::Index(len)).squaredNorm());
  }
  return sum;
}

double meanSquare(const LoraPlanes& planes) {
  if (planes.empty()) return 0;
  const std::size_t n = std::size_t(planes.cols);
  double sum = 0;
  for (int c = 0; c < LoraPlanes::kChannels; ++c)
    for (int y0 = 0; y0 < planes.rows; y0 += kLoraRowBlock) {
      const int y1 = std::min(planes.rows, y0 + kLoraRowBlock);
      sum += sumSquares(planes.channel(c) + std::size_t(y0) * n, std::size_t(y1 - y0) * n);
    }
  return sum / double(planes.size());
}

LoraPlanes subtract(const LoraPlanes& a, const LoraPlanes& b) {
  LoraPlanes d = LoraPlanes::make(a.rows, a.cols);
  for (std::size_t i = 0; i < d.size(); ++i) d.data[i] = a.data[i] - b.data[i];
  return d;
}

LoraPlanes add(const LoraPlanes& a, const LoraPlanes& b) {
  LoraPlanes d = LoraPlanes::make(a.rows, a.cols);
  for (std::size_t i = 0; i < d.size(); ++i) d.data[i] = a.data[i] + b.data[i];
  return d;
}

double meanSquaredError(const LoraPlanes& a, const LoraPlanes& b) { return meanSquare(subtract(a, b)); }

float roundToBfloat16(float v) {
  if (std::isnan(v)) return v;
  std::uint32_t u = std::bit_cast<std::uint32_t>(v);
  u += 0x7FFFu + ((u >> 16) & 1u);  // round half to even on the 16 bits dropped (overflow gives inf)
  return std::bit_cast<float>(u & 0xFFFF0000u);
}

LoraPlanes roundToBfloat16(const LoraPlanes& planes) {
  LoraPlanes out = planes;
  for (float& v : out.data) v = roundToBfloat16(v);
  return out;
}

}  // namespace qviz::core
