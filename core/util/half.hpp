// IEEE half precision (fp16): the one conversion of the project. Used by the .npy/.safetensors
// readers (tensor/) and by the formats that store their block scale as fp16 (quant/formats/).
#pragma once
#include <cstdint>

namespace qviz::core {

// fp16 -> float32, exact (subnormals, inf and NaN included).
float halfToFloat(std::uint16_t h);
// float32 -> fp16, round to nearest even; overflow (|v| >= 65520) gives inf, NaN stays a quiet NaN.
std::uint16_t floatToHalf(float f);
// float32 -> fp16 -> float32: the value an fp16 scale stores (e.g. ggml's d).
inline float roundToHalf(float v) { return halfToFloat(floatToHalf(v)); }

}  // namespace qviz::core
