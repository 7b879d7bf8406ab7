// Tensor: a dtype, a shape and the raw little-endian bytes in C order, as read from .npy or
// .safetensors. Conversions to float32 (fp16/bf16 exactly) and the finiteness check that every
// quantizer input passes. Does not do arithmetic on tensors: the quantizers take float spans.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/half.hpp"
#include "util/result.hpp"

namespace qviz::core {

enum class DType : std::uint8_t { F32, F16, BF16, U8, I8 };
const char* dtypeName(DType d);   // "float32", "float16", "bfloat16", "uint8", "int8"
std::size_t dtypeSize(DType d);   // bytes per element

struct Tensor {
  DType dtype = DType::F32;
  std::vector<std::size_t> shape;   // empty: a scalar (one element)
  std::vector<std::uint8_t> bytes;  // count() * dtypeSize(dtype) bytes, little-endian, C order

  std::size_t count() const;        // product of the shape (1 for a scalar)
};

// Element count of a shape, or an error when the product overflows or exceeds maxElements.
Result<std::size_t> shapeCount(const std::vector<std::size_t>& shape, std::size_t maxElements);

// The memory budget of one tensor read from a file: headers that declare more are refused before
// anything is allocated.
constexpr std::uint64_t kTensorBudgetBytes = 4ull << 30;
// Bytes of a tensor with this shape and element size, or an error when numpy would refuse the shape
// (the item size times the non-zero dimensions exceeds 2^63 - 1, even for a zero-size shape:
// "shape (...) of float32 is larger than numpy allows: ...") or the bytes exceed the budget
// ("shape (1099511627776,) of float32 needs 4 TiB, over the memory budget of 4 GiB").
Result<std::uint64_t> tensorBytes(const std::vector<std::size_t>& shape, std::size_t itemSize,
                                  const std::string& dtypeLabel, std::uint64_t budgetBytes);
inline Result<std::uint64_t> tensorBytes(const std::vector<std::size_t>& shape, DType dtype, std::uint64_t budgetBytes) {
  return tensorBytes(shape, dtypeSize(dtype), dtypeName(dtype), budgetBytes);
}
std::string shapeString(const std::vector<std::size_t>& shape);  // "(2, 3)", "(4096,)", "()"

Tensor tensorFromFloats(const std::vector<std::size_t>& shape, const float* data, std::size_t n);
Tensor tensorFromBytes(const std::vector<std::size_t>& shape, DType dtype, const std::uint8_t* data, std::size_t n);

// Every element as float32 (float16 and bfloat16 widen exactly; integers convert exactly).
std::vector<float> toFloat32(const Tensor& t);
// n little-endian values of `dtype` at p, as float32 (fp16 and bf16 exactly); the readers' one conversion.
void toFloat32(DType dtype, const std::uint8_t* p, std::size_t n, float* out);

// bfloat16 widening (exact); the fp16 conversions are util/half.hpp's.
float bfloat16ToFloat(std::uint16_t b);

// Refuses NaN or Inf, naming the first one: "value 12 (flat index) is NaN".
Status checkFinite(const float* x, std::size_t n);

}  // namespace qviz::core
