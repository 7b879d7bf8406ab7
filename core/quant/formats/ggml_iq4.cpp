// ggml's IQ4_NL and IQ4_XS (FORMATS.md §4): indices into a 16-value non-linear table.
#include "quant/formats/family.hpp"

namespace qviz::core {

std::vector<FormatDesc> ggmlIq4Formats() {
  using formats::rawDesc;
  return {
      rawDesc(TensorFormat::IQ4_NL, "iq4_nl", "ggml_iq4", "ggml", "ggml IQ4_NL: blocks of 32 on a 16-value non-linear table, fp16 d (quantize_row_iq4_nl_ref)", 4, 32, 18),
      rawDesc(TensorFormat::IQ4_NL_NTRY7, "iq4_nl-ntry7", "ggml_iq4", "ggml", "ggml IQ4_NL as llama-quantize writes it (scale search ntry = 7)", 4, 32, 18),
      rawDesc(TensorFormat::IQ4_XS, "iq4_xs", "ggml_iq4", "ggml", "ggml IQ4_XS: 256 = 8 x 32 on the IQ4 table, 6-bit scales, fp16 d", 4, 256, 136),
  };
}

}  // namespace qviz::core
