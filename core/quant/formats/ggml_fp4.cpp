// ggml's own MXFP4 and NVFP4 (FORMATS.md §5): E2M1 stored doubled, ties toward zero.
#include "quant/formats/family.hpp"

namespace qviz::core {

std::vector<FormatDesc> ggmlFp4Formats() {
  using formats::rawDesc;
  return {
      rawDesc(TensorFormat::GgmlMXFP4, "ggml-mxfp4", "ggml_fp4", "ggml", "ggml MXFP4: blocks of 32, E2M1 with an E8M0 scale (ggml nibble order, ties toward zero)", 4, 32, 17),
      rawDesc(TensorFormat::GgmlNVFP4, "ggml-nvfp4", "ggml_fp4", "ggml", "ggml NVFP4: blocks of 64 = 4 x 16, E2M1 with a UE4M3 scale per 16, no tensor scale", 4, 64, 36),
  };
}

}  // namespace qviz::core
