// Tensor helpers: shapes, dtype conversions (exact fp16/bf16 widening, RNE narrowing) and the
// finiteness check of quantizer inputs.
#include "tensor/tensor.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "util/units.hpp"

namespace qviz::core {

const char* dtypeName(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    case DType::U8: return "uint8";
    case DType::I8: return "int8";
  }
  return "?";
}

std::size_t dtypeSize(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F16:
    case DType::BF16: return 2;
    case DType::U8:
    case DType::I8: return 1;
  }
  return 1;
}

std::size_t Tensor::count() const {
  std::size_t n = 1;
  for (std::size_t s : shape) n *= s;
  return n;
}

Result<std::size_t> shapeCount(const std::vector<std::size_t>& shape, std::size_t maxElements) {
  std::size_t n = 1;
  for (std::size_t s : shape) {
    if (s != 0 && n > maxElements / s)
      return fail("shape " + shapeString(shape) + " has more than " + std::to_string(maxElements) + " elements");
    n *= s;
  }
  if (n > maxElements)
    return fail("shape " + shapeString(shape) + " has more than " + std::to_string(maxElements) + " elements");
  return n;
}

Result<std::uint64_t> tensorBytes(const std::vector<std::size_t>& shape, std::size_t itemSize,
                                  const std::string& dtypeLabel, std::uint64_t budgetBytes) {
  // numpy's rule (PyArray_NewFromDescr): the item size times every non-zero dimension must fit in
  // a signed 64-bit intp, even when another dimension is 0; numpy refuses to load anything else,
  // so (2^62, 2^62, 0) is refused here too, before it becomes a .npy output numpy cannot open.
  constexpr std::uint64_t kIntpMax = std::uint64_t(INT64_MAX);
  std::uint64_t bytes = itemSize;
  bool overflow = bytes > kIntpMax, empty = false;
  for (std::size_t s : shape) {
    if (s == 0) {
      empty = true;
      continue;
    }
    overflow = __builtin_mul_overflow(bytes, std::uint64_t(s), &bytes) || bytes > kIntpMax || overflow;
  }
  if (overflow)
    return fail("shape " + shapeString(shape) + " of " + dtypeLabel + " is larger than numpy allows: " +
                (empty ? "its non-zero dimensions need" : "it needs") + " more than 2^63 - 1 bytes");
  if (empty) return std::uint64_t(0);
  if (bytes > budgetBytes)
    return fail("shape " + shapeString(shape) + " of " + dtypeLabel + " needs " + formatBytes(bytes) +
                ", over the memory budget of " + formatBytes(budgetBytes));
  return bytes;
}

std::string shapeString(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

Tensor tensorFromFloats(const std::vector<std::size_t>& shape, const float* data, std::size_t n) {
  return tensorFromBytes(shape, DType::F32, reinterpret_cast<const std::uint8_t*>(data), n * sizeof(float));
}

Tensor tensorFromBytes(const std::vector<std::size_t>& shape, DType dtype, const std::uint8_t* data, std::size_t n) {
  Tensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.bytes.assign(data, data + n);
  return t;
}

float bfloat16ToFloat(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

void toFloat32(DType dtype, const std::uint8_t* p, std::size_t n, float* out) {
  switch (dtype) {
    case DType::F32:
      if (n) std::memcpy(out, p, n * 4);  // an empty tensor has no buffer: memcpy(_, null, 0) is UB
      break;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) out[i] = halfToFloat(std::uint16_t(p[2 * i] | (p[2 * i + 1] << 8)));
      break;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = bfloat16ToFloat(std::uint16_t(p[2 * i] | (p[2 * i + 1] << 8)));
      break;
    case DType::U8:
      for (std::size_t i = 0; i < n; ++i) out[i] = float(p[i]);
      break;
    case DType::I8:
      for (std::size_t i = 0; i < n; ++i) out[i] = float(static_cast<std::int8_t>(p[i]));
      break;
  }
}

std::vector<float> toFloat32(const Tensor& t) {
  const std::size_t n = t.count();
  std::vector<float> out(n);
  toFloat32(t.dtype, t.bytes.data(), n, out.data());
  return out;
}

Status checkFinite(const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return fail("value " + std::to_string(i) + " (flat index) is " + (std::isnan(x[i]) ? "NaN" : "Inf") +
                  "; only finite values can be quantized");
  return {};
}

}  // namespace qviz::core
