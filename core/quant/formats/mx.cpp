// OCP Microscaling v1.0 as microxcaling computes it (FORMATS.md §6): blocks of 32 along the last axis, an E8M0 shared scale.
#include "quant/formats/family.hpp"

namespace qviz::core {

std::vector<FormatDesc> mxFormats() {
  using formats::rawDesc;
  return {
      rawDesc(TensorFormat::MXFP4, "mxfp4", "mx", "OCP MX", "OCP MXFP4: 32 E2M1 values sharing an E8M0 scale", 4, 32, 17, RowRule::PadRows),
      rawDesc(TensorFormat::MXFP6E3M2, "mxfp6-e3m2", "mx", "OCP MX", "OCP MXFP6 E3M2: 32 values sharing an E8M0 scale", 6, 32, 25, RowRule::PadRows),
      rawDesc(TensorFormat::MXFP6E2M3, "mxfp6-e2m3", "mx", "OCP MX", "OCP MXFP6 E2M3: 32 values sharing an E8M0 scale", 6, 32, 25, RowRule::PadRows),
      rawDesc(TensorFormat::MXFP8E4M3, "mxfp8-e4m3", "mx", "OCP MX", "OCP MXFP8 E4M3: 32 values sharing an E8M0 scale", 8, 32, 33, RowRule::PadRows),
      rawDesc(TensorFormat::MXFP8E5M2, "mxfp8-e5m2", "mx", "OCP MX", "OCP MXFP8 E5M2: 32 values sharing an E8M0 scale", 8, 32, 33, RowRule::PadRows),
      rawDesc(TensorFormat::MXINT8, "mxint8", "mx", "OCP MX", "OCP MXINT8: 32 int8 values (k/64) sharing an E8M0 scale", 8, 32, 33, RowRule::PadRows),
  };
}

}  // namespace qviz::core
