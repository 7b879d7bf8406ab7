// The weights panel's inputs (WeightsDoc, part of the Document), its data (WeightsView) and its
// computations (no drawing): synthetic tensors, loading a tensor from .npy or
// .safetensors, quantizing with every format, per-block errors and the levels of one block.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quant/blockwise.hpp"
#include "quant/levels.hpp"

namespace qviz::ui {

// The weights panel's inputs: a synthetic or loaded tensor and the format to quantize it with.
enum class WeightSource : std::uint8_t { Normal, HeavyTailed, Uniform, File };
struct WeightsDoc {
  WeightSource source = WeightSource::Normal;
  int size = 65536;
  std::uint32_t seed = 1;
  std::string path;        // .npy or .safetensors (source File)
  std::string tensorName;  // safetensors: which tensor
  core::TensorFormat format = core::TensorFormat::NF4;
  int blocksize = 64;
  bool doubleQuant = false;
  int block = 0;  // the block shown in the histogram
  bool operator==(const WeightsDoc&) const = default;
};

struct FormatRow {
  core::TensorFormat format;
  core::FormatStats stats;
};

struct WeightsView {
  std::optional<WeightsDoc> inputs;  // what this was built from (block excluded)
  std::string error;                 // why there is no tensor
  std::string description;           // "normal, 65536 values" / "file.npy: weight (4096, 4096)"
  std::vector<float> values, dequant;
  core::QuantizedTensor q;
  core::FormatStats stats;
  std::vector<double> blockRmse;     // per block
  core::CodeUse codeUse;             // how often each code (level) is used over the whole tensor
  std::vector<FormatRow> table;      // every format at the same blocksize
  double elapsedMs = 0;
};

// Deterministic synthetic weights: normal (Box-Muller on mt19937 bits), heavy-tailed (normal
// plus 0.1% outliers at 20 sigma) or uniform in [-1, 1].
std::vector<float> syntheticWeights(WeightSource source, std::size_t n, std::uint32_t seed);

// Rebuilds `view` when the inputs changed (the shown block does not count).
void updateWeightsView(const WeightsDoc& doc, WeightsView& view);

// Every value the format can produce in block `block` of q (sorted, distinct): the dequantized
// value of each code with that block's constants.
std::vector<float> blockLevels(const core::QuantizedTensor& q, std::size_t block);

}  // namespace qviz::ui
