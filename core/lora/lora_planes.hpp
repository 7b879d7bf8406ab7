// LoraPlanes: an RGB image as three m x n float matrices (channel-major, row-major inside: the
// layout of base.npy), the image <-> [-1, 1] mappings of the QLoRA panel and its signed heatmap.
// Pure data and pure functions; no training here (lora_trainer.hpp).
#pragma once
#include <cstddef>
#include <vector>

#include "image/image.hpp"
#include "util/result.hpp"

namespace qviz::core {

struct LoraPlanes {
  static constexpr int kChannels = 3;
  int rows = 0;  // m = image height
  int cols = 0;  // n = image width
  std::vector<float> data;  // kChannels * rows * cols; data[(c * rows + y) * cols + x]

  static LoraPlanes make(int rows, int cols);  // zero-filled
  std::size_t channelSize() const { return std::size_t(rows) * std::size_t(cols); }
  std::size_t size() const { return data.size(); }
  bool empty() const { return data.empty(); }
  bool sameShape(const LoraPlanes& o) const { return rows == o.rows && cols == o.cols; }
  float* channel(int c) { return data.data() + std::size_t(c) * channelSize(); }
  const float* channel(int c) const { return data.data() + std::size_t(c) * channelSize(); }
  bool operator==(const LoraPlanes& o) const = default;
};

// Maps an 8-bit (or 16-bit) gray/RGB image, alpha dropped, to planes of v / (vmax/2) - 1
// (8-bit: v/127.5 - 1, computed in float32). Gray is replicated to three channels.
// Float images are refused.
Result<LoraPlanes> imageToPlanes(const Image& image);

// The target of the panel: resized to rows x cols with the aspect ratio kept, by cropping the
// centre of the source to the aspect rows:cols first and then resizing (bilinear), then mapped like
// imageToPlanes.
Result<LoraPlanes> imageToPlanesCropped(const Image& image, int rows, int cols);

// 8-bit RGB image of planes: clamp(roundEven((v + 1) * 127.5), 0, 255), in float32. The exact
// inverse of imageToPlanes on 8-bit images.
Image planesToImage(const LoraPlanes& planes);

// Signed planes (a delta, a quantization error) as an 8-bit RGB image, channel by channel:
// 0 is mid grey (127.5), +range is 255 and -range is 0:
// clamp(roundEven(127.5 + 127.5 * v / range), 0, 255). range <= 0 draws everything mid grey (128).
// Keeping the channels separate shows which colour the delta adds or removes.
Image signedPlanesToImage(const LoraPlanes& planes, float range);
// max |v| over all channels: the symmetric range used for delta.png.
float maxAbs(const LoraPlanes& planes);

// Sum of squares in double, accumulated over fixed blocks of rows of each channel in order
// (the trainer's order, so equal inputs give bit-identical losses). Mean: divided by size().
double meanSquare(const LoraPlanes& planes);
// meanSquare(a - b); a and b must have the same shape.
double meanSquaredError(const LoraPlanes& a, const LoraPlanes& b);
// a - b and a + b, element by element in float32.
LoraPlanes subtract(const LoraPlanes& a, const LoraPlanes& b);
LoraPlanes add(const LoraPlanes& a, const LoraPlanes& b);

// float32 -> bfloat16 (round to nearest, ties to even) -> float32: what storing a value in a 16-bit
// (bf16) checkpoint keeps. NaN stays NaN. The planes version rounds every value.
float roundToBfloat16(float v);
LoraPlanes roundToBfloat16(const LoraPlanes& planes);

// Rows per work item of the blocked loss and of the trainer (fixed, so results never depend on
// the number of threads).
constexpr int kLoraRowBlock = 32;
// Sum of squares of `count` contiguous floats: float32 sums over chunks of 256 values (one fixed
// vectorised order), added in double.
double sumSquares(const float* x, std::size_t count);

}  // namespace qviz::core
