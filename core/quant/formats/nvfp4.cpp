// NVFP4 as NVIDIA defines it and torchao computes it (FORMATS.md §7): E2M1 in blocks of 16, an E4M3 scale each, a float32 scale per tensor.
#include "quant/formats/family.hpp"

namespace qviz::core {

std::vector<FormatDesc> nvfp4Formats() {
  using formats::rawDesc;
  return {
      rawDesc(TensorFormat::NVFP4, "nvfp4", "nvfp4", "NVIDIA", "NVFP4: 16 E2M1 values per FP8 E4M3 scale, a float32 scale per tensor (amax/2688)", 4, 16, 9, RowRule::WholeRows, 4),
      rawDesc(TensorFormat::NVFP4_1Level, "nvfp4-1level", "nvfp4", "NVIDIA", "NVFP4 without the tensor scale (torchao to_nvfp4 default): E4M3 scale per 16", 4, 16, 9, RowRule::WholeRows),
  };
}

}  // namespace qviz::core
