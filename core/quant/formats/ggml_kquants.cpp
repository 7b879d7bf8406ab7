// ggml's k-quants (FORMATS.md §3): super-blocks of 256, quantize_row_qX_K_ref without an importance matrix.
#include "quant/formats/family.hpp"

namespace qviz::core {

std::vector<FormatDesc> ggmlKQuantFormats() {
  using formats::rawDesc;
  return {
      rawDesc(TensorFormat::Q2_K, "q2_k", "ggml_kquants", "ggml", "ggml Q2_K: 256 = 16 x 16, 4-bit scale and min each, fp16 d and dmin", 2, 256, 84),
      rawDesc(TensorFormat::Q3_K, "q3_k", "ggml_kquants", "ggml", "ggml Q3_K: 256 = 16 x 16, 6-bit scales, fp16 d", 3, 256, 110),
      rawDesc(TensorFormat::Q4_K, "q4_k", "ggml_kquants", "ggml", "ggml Q4_K: 256 = 8 x 32, 6-bit scale and min each, fp16 d and dmin", 4, 256, 144),
      rawDesc(TensorFormat::Q5_K, "q5_k", "ggml_kquants", "ggml", "ggml Q5_K: 256 = 8 x 32, 6-bit scale and min each, fp16 d and dmin", 5, 256, 176),
      rawDesc(TensorFormat::Q6_K, "q6_k", "ggml_kquants", "ggml", "ggml Q6_K: 256 = 16 x 16, int8 scales, fp16 d", 6, 256, 210),
  };
}

}  // namespace qviz::core
