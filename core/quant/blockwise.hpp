// Block-wise weight quantization formats: bitsandbytes NF4/FP4 (+ double quantization of the
// absmax), symmetric/asymmetric int, FP8 E4M3/E5M2 and ggml Q8_0/Q4_0. The CPU reference that the
// GPU tensor kernels must match code for code. Contracts: docs/numeric-contracts.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace qviz::core {

enum class TensorFormat : std::uint8_t {
  NF4, FP4,            // bitsandbytes 4-bit, absmax per block, nibble-packed high first
  Int8, Int4, Int2,    // symmetric absmax per block: scale = absmax / (2^(N-1) - 1)
  UInt8, UInt4,        // asymmetric min-max per block with a zero point
  FP8E4M3, FP8E5M2,    // OCP FP8, round to nearest even, saturating, per-block scale
  Q8_0, Q4_0,          // ggml reference formats (blocks of 32, fp16 scale)
};
const char* tensorFormatName(TensorFormat f);  // "nf4", "fp4", "int8", ..., "fp8-e4m3", "q8_0"
bool parseTensorFormat(const std::string& s, TensorFormat& out);
int formatCodeBits(TensorFormat f);            // 4 for nf4, 8 for int8, ...

struct BlockwiseSettings {
  TensorFormat format = TensorFormat::NF4;
  int blocksize = 64;        // power of two 32..4096 (ggml formats: always 32)
  bool doubleQuant = false;  // NF4/FP4 only: 8-bit dynamic quantization of the absmax
};

struct QuantizedTensor {
  TensorFormat format = TensorFormat::NF4;
  int blocksize = 64;
  bool doubleQuant = false;
  std::size_t n = 0;
  std::vector<std::uint8_t> codes;   // one code per value
  std::vector<std::uint8_t> packed;  // 4-bit formats: ceil(n/2) bytes, value 2j in the high nibble
  std::vector<float> absmax;         // per block: absmax (nf4/fp4/int), or the block scale
  std::vector<float> zeroPoint;      // asymmetric formats: per-block zero point (else empty)
  // Double quantization (doubleQuant only)
  float offset = 0;                   // mean of absmax
  std::vector<std::uint8_t> qabsmax;  // 8-bit codes of (absmax - offset), one per block
  std::vector<float> absmax2;         // one float per 256 blocks
  std::vector<float> absmaxDq;        // dynamic_map[q] * absmax2 + offset: the absmax used to dequantize
};

Status validateBlockwise(const BlockwiseSettings& s);
// Quantizes n float32 values (finite; NaN/Inf are refused with the index of the first one).
Result<QuantizedTensor> quantizeBlockwise(const float* x, std::size_t n, const BlockwiseSettings& s);
// Dequantizes into out[0..q.n).
void dequantizeBlockwise(const QuantizedTensor& q, float* out);

// The 16 NF4 / FP4 code values (index = code), the 256-entry signed dynamic map.
const std::vector<float>& nf4Table();
const std::vector<float>& fp4Table();
const std::vector<float>& dynamicMap();

struct FormatStats {
  double bitsPerParam = 0;  // code bits plus constants (NF4 bs64: 4.5; with double quant ~4.127)
  double mse = 0, rmse = 0, maxAbsError = 0;
  double sqnrDb = 0;        // 10 log10(sum x^2 / sum err^2); +inf when exact
};
double bitsPerParam(const BlockwiseSettings& s, std::size_t n);
FormatStats formatStats(const float* x, const float* dequant, std::size_t n, const BlockwiseSettings& s);

}  // namespace qviz::core
