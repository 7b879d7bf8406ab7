// The table of block-wise weight formats: one FormatDesc per core::TensorFormat, filled by the
// format family files under quant/formats/ (bnb4.cpp, intn.cpp, fp8.cpp, ggml_legacy.cpp). Every
// user of a format iterates or reads this table: the core quantizer (blockwise.cpp), the GPU driver
// (app/gpu/tensor_kernels.cpp: the block constants, codebooks, pad codes and the GLSL defines of its
// kernels), the CLI's help and validation, the Weights panel and the GPU selftest.
//
// Adding a format: its enum value below (appended), its FormatDesc in the family file (a new family:
// a new file, declared and listed in formats/family.hpp and core/CMakeLists.txt), its GLSL branch in
// shaders/quantize_blockwise_formats.comp and dequantize_blockwise_formats.comp (chosen by the
// ENCODE_* / DECODE_* define the desc names), and a test. tests/core/test_format_table.cpp checks
// every entry of the table (names, bits per weight, round trip) without being told about it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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

struct QuantizedTensor;

// What the core (and the GPU's first stage) gathers from one block before the constants are formed.
enum class BlockStat : std::uint8_t {
  Absmax,       // s0 = max |x| (std::max order)
  MinMax,       // s0 = min(0, x...), s1 = max(0, x...)
  FirstAbsmax,  // s0 = max |x|, s1 = the first value of that magnitude (its sign kept)
};
struct BlockStats {
  float s0 = 0.0f, s1 = 0.0f;
};
BlockStats blockStats(BlockStat kind, const float* x, std::size_t count);

// One block's constants. Quantizing fills all four; dequantizing needs only step and zeroPoint.
struct BlockConstants {
  float stored = 0.0f;     // what QuantizedTensor::absmax holds for the block (absmax, scale or fp16 d)
  float zeroPoint = 0.0f;  // what QuantizedTensor::zeroPoint holds (formats with a zero point)
  float inv = 0.0f;        // the encoder's multiplier: code = encode(x * inv)
  float step = 0.0f;       // the decoder's multiplier: value = decode(code) * step
};

// Sorted code values with their midpoints (formats that are a table of values: NF4, FP4, the
// double-quantization map). A value's code is the number of midpoints strictly below it (a value
// on a midpoint goes to the lower code), mapped back to the table's code order.
struct Codebook {
  std::vector<float> values;              // index = code
  std::vector<float> sorted;              // values in ascending order (stable: ties keep code order)
  std::vector<float> mids;                // midpoints of adjacent sorted values (in double, rounded to float)
  std::vector<std::uint8_t> sortedToCode;
  std::uint32_t mapLo = 0, mapHi = 0;     // 16-entry tables: sortedToCode as nibbles, for the vector loop
  std::uint8_t zeroCode = 0;              // code of 0.0 (odd-length padding)
  std::uint8_t codeOf(float s) const {
    return sortedToCode[std::size_t(std::lower_bound(mids.begin(), mids.end(), s) - mids.begin())];
  }
};
Codebook makeCodebook(const std::vector<float>& table);

enum class ScaleStorage : std::uint8_t { Float32, Float16 };
// Which GPU pipeline runs the format (app/gpu/tensor_kernels.cpp): the NF4/FP4 codebook kernels
// (quantize_blockwise.comp, 4 stages with double quantization) or the block-statistics kernels
// (quantize_blockwise_formats.comp: STAGE 0 statistics, the CPU forms the constants with
// FormatDesc::constants, STAGE 1 codes).
enum class GpuKernel : std::uint8_t { Codebook4, BlockStats };

inline constexpr int kMinBlocksize = 32, kMaxBlocksize = 4096;  // the power-of-two blocksize rule

struct FormatDesc {
  TensorFormat format{};
  const char* name = "";          // "nf4", "fp8-e4m3", "q8_0": the CLI's --format, file and program names
  const char* family = "";        // the family file: "bnb4", "intn", "fp8", "ggml_legacy"
  const char* familyLabel = "";   // shown next to a fixed blocksize: "ggml"
  const char* description = "";   // one line for help texts
  int codeBits = 8;               // bits per code: 2, 4 or 8 (4-bit codes are also nibble-packed)
  int fixedBlocksize = 0;         // 0: any power of two kMinBlocksize..kMaxBlocksize; else always this
  ScaleStorage scaleStorage = ScaleStorage::Float32;  // the per-block scale (QuantizedTensor::absmax)
  const char* scaleName = "absmax";                   // what that scale is: "absmax", "scale", "d"
  bool zeroPoint = false;         // a float32 zero point per block (QuantizedTensor::zeroPoint)
  bool doubleQuant = false;       // double quantization of the absmax (bitsandbytes) allowed
  BlockStat stat = BlockStat::Absmax;
  GpuKernel gpuKernel = GpuKernel::BlockStats;
  const Codebook* codebook = nullptr;       // table formats (nf4, fp4): sorted values and midpoints
  const std::vector<float>* values = nullptr;  // code -> value where the format is a table (nf4, fp4, fp8)

  // The numerics (the family file's functions; the GPU driver calls the same ones).
  // Block b's constants from its statistics; fails when the format cannot store them (fp16 overflow).
  Status (*constants)(BlockStats st, std::size_t block, BlockConstants& out) = nullptr;
  // The constants dequantizing needs (step, zero point) from what the tensor stores.
  BlockConstants (*decodeConstants)(float stored, float zeroPoint) = nullptr;
  // Codes of one block (count values) under its constants; decoded values of one block (null
  // where quantizeTensor / dequantizeTensor replace the block loop).
  void (*encodeBlock)(const float* x, std::size_t count, const BlockConstants& k, std::uint8_t* codes) = nullptr;
  void (*decodeBlock)(const std::uint8_t* codes, std::size_t count, const BlockConstants& k, float* out) = nullptr;
  // 4-bit formats: the code of the pad value 0.0 of an odd length, under the last block's constants.
  std::uint8_t (*padCode)(const BlockConstants& k) = nullptr;
  // A whole-tensor quantizer/dequantizer replacing the generic block loop (bnb4: its vector loops
  // and double quantization). q is sized and validated by the caller; dequantize gets the scales to use.
  Status (*quantizeTensor)(const float* x, std::size_t n, const FormatDesc& d, std::size_t bs, QuantizedTensor& q) = nullptr;
  void (*dequantizeTensor)(const QuantizedTensor& q, const FormatDesc& d, const float* scales, float* out) = nullptr;

  // The #defines of the GPU kernels for this format (generated from the same constants as the
  // CPU: "#define CODE_BITS 8\n#define STAT_ABSMAX 1\n#define ENCODE_SYMMETRIC 1\n#define QMAX 127\n...").
  std::string gpuDefines;

  int blocksizeFor(int requested) const { return fixedBlocksize ? fixedBlocksize : requested; }
  // Stored bits per block besides the codes: the scale, the zero point; with double quantization
  // an 8-bit code instead of the scale (absmax2 and the offset are counted per tensor).
  double constantBitsPerBlock(bool dq) const {
    if (dq && doubleQuant) return 8.0;
    return (scaleStorage == ScaleStorage::Float16 ? 16.0 : 32.0) + (zeroPoint ? 32.0 : 0.0);
  }
};

// Every format in TensorFormat order (the order of the CLI's help and the Weights panel).
const std::vector<FormatDesc>& tensorFormats();
// The description of f; an out-of-range value (a corrupt file) gets nullptr from findFormat only.
const FormatDesc& formatDesc(TensorFormat f);
const FormatDesc* findFormat(TensorFormat f);
const FormatDesc* findFormat(std::string_view name);
// The names joined: formatNames(" | ") = "nf4 | fp4 | int8 | ...".
std::string formatNames(const char* separator);

// bitsandbytes' absmax rule: stored = max(a, 1e-38), inv = 1 / stored (nf4/fp4 blocks and the
// 256-block groups of double quantization).
BlockConstants absmaxConstants(float absmax);

}  // namespace qviz::core
