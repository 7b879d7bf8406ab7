// The weights panel's computations (no drawing): synthetic tensors, loading a tensor from .npy or
// .safetensors, quantizing with every format, per-block errors and the levels of one block.
#pragma once
#include <vector>

#include "ui/app_state.hpp"

namespace qviz::ui {

// Deterministic synthetic weights: normal (Box-Muller on mt19937 bits), heavy-tailed (normal
// plus 0.1% outliers at 20 sigma) or uniform in [-1, 1].
std::vector<float> syntheticWeights(WeightSource source, std::size_t n, std::uint32_t seed);

// Rebuilds `view` when the inputs changed (the shown block does not count).
void updateWeightsView(const WeightsDoc& doc, WeightsView& view);

// Every value the format can produce in block `block` of q (sorted, distinct): the dequantized
// value of each code with that block's constants.
std::vector<float> blockLevels(const core::QuantizedTensor& q, std::size_t block);

}  // namespace qviz::ui
