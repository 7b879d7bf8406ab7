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

float halfToFloat(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float32 normal.
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

std::uint16_t floatToHalf(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = std::uint16_t((x >> 16) & 0x8000u);
  const std::uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u)  // Inf stays Inf, NaN stays a quiet NaN
    return std::uint16_t(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  if (absx >= 0x477ff000u) return std::uint16_t(sign | 0x7c00u);  // rounds to >= 65520: overflow
  if (absx < 0x38800000u) {
    // Half subnormal (or zero): value = m * 2^-24; round |f| * 2^24 to nearest even.
    if (absx < 0x33000000u) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to even 0)
    const std::uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 126 - int(absx >> 23);  // 14..24
    std::uint32_t q = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return std::uint16_t(sign | q);
  }
  // Normal: rebias, round the 13 dropped mantissa bits to nearest even (a carry may bump the exponent).
  std::uint32_t h = ((absx >> 23) - 112u) << 10 | ((absx >> 13) & 0x3ffu);
  const std::uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return std::uint16_t(sign | h);
}

float bfloat16ToFloat(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

std::vector<float> toFloat32(const Tensor& t) {
  const std::size_t n = t.count();
  std::vector<float> out(n);
  const std::uint8_t* p = t.bytes.data();
  switch (t.dtype) {
    case DType::F32:
      if (n) std::memcpy(out.data(), p, n * 4);  // an empty tensor has no buffer: memcpy(_, null, 0) is UB
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
