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
  // Formats stored as raw blocks, exactly as their reference lays them out (FormatDesc::raw;
  // contracts: docs/numeric-contracts.md and the vectors in tests/data/vectors/formats):
  Q4_1, Q5_0, Q5_1,                    // ggml legacy (32)
  Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,        // ggml k-quants (super-blocks of 256)
  IQ4_NL, IQ4_NL_NTRY7, IQ4_XS,        // ggml non-linear 4-bit table (32; 256)
  GgmlMXFP4, GgmlNVFP4,                // ggml's own MXFP4 (32) and NVFP4 (64 = 4 x 16)
  MXFP4, MXFP6E3M2, MXFP6E2M3, MXFP8E4M3, MXFP8E5M2, MXINT8,  // OCP Microscaling v1.0 (microxcaling), 32
  NVFP4, NVFP4_1Level,                 // NVIDIA NVFP4 as torchao: E4M3 per 16 (+ fp32 per tensor)
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
// Raw formats run their family's own kernels (shaders/raw_<family>.comp).
enum class GpuKernel : std::uint8_t { Codebook4, BlockStats, Raw };

// One block of a raw format as stored, taken apart: what the Weights panel's block inspector shows.
struct BlockView {
  struct Constant {          // one stored constant: a d, a dmin, a sub-block scale or min, an E8M0 exponent
    std::string name;        // "d", "dmin", "scale[3]", "min[3]", "e8m0", "tensor scale"
    std::uint32_t raw = 0;   // its stored bits (fp16 pattern, 6-bit field, E8M0 / E4M3 code, ...)
    int rawBits = 0;         // how many bits it has (16, 6, 8, 32, ...)
    float value = 0.0f;      // what it decodes to, as dequantizing uses it (float32)
  };
  std::string structure;                  // one line: "super-block of 256: 8 sub-blocks of 32, ..."
  std::vector<Constant> constants;        // in storage order
  int subBlocks = 1;                      // value i belongs to sub-block i / (blockValues / subBlocks)
  std::vector<std::uint8_t> codes;        // each value's code as stored (blockValues of them)
  std::vector<float> values;              // each value decoded (blockValues)
  std::vector<std::vector<float>> levels; // per sub-block: every value its codes decode to, ascending
};

// How a raw format cuts a tensor into blocks.
enum class RowRule : std::uint8_t {
  Flat,       // ggml: the flattened tensor, whose length must be a multiple of the block
  PadRows,    // MX: blocks along the last axis; a partial last block of a row is padded with 0.0
  WholeRows,  // NVFP4: blocks along the last axis, whose length must be a multiple of the block
};

// The raw block codec of a format (blocks laid out as the format's reference stores them). The
// functions see whole blocks only; the driver (blockwise.cpp) cuts rows, pads and checks.
struct RawCodec {
  int blockValues = 0;   // values per block: 32, 64, 256 (ggml), 32 (MX), 16 (NVFP4)
  int blockBytes = 0;    // bytes per block
  int headerBytes = 0;   // bytes in front of the first block (nvfp4: the float32 tensor scale, LE)
  RowRule rows = RowRule::Flat;
  // nvfp4: the per-tensor scale from the tensor's max |x| (amax / 2688), stored in the header.
  float (*tensorScale)(float amax) = nullptr;
  // `blocks` whole blocks of x (blocks * blockValues values) into blocks * blockBytes bytes.
  void (*quantize)(const float* x, std::size_t blocks, float tensorScale, std::uint8_t* out) = nullptr;
  void (*dequantize)(const std::uint8_t* in, std::size_t blocks, float tensorScale, float* out) = nullptr;
  // Each value's code in one block (blockValues of them), as BlockView::codes.
  void (*codes)(const std::uint8_t* block, std::uint8_t* out) = nullptr;
  void (*inspect)(const std::uint8_t* block, float tensorScale, BlockView& out) = nullptr;
};

inline constexpr int kMinBlocksize = 32, kMaxBlocksize = 4096;  // the power-of-two blocksize rule

struct FormatDesc {
  TensorFormat format{};
  const char* name = "";          // "nf4", "fp8-e4m3", "q8_0": the CLI's --format, file and program names
  const char* family = "";        // the family file: "bnb4", "intn", "fp8", "ggml_legacy", "ggml_kquants", ...
  const char* familyLabel = "";   // shown next to a fixed blocksize: "ggml"
  const char* description = "";   // one line for help texts
  int codeBits = 8;               // bits per code: 2, 4 or 8 (4-bit codes are also nibble-packed); raw formats 2..8
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

  // Raw formats (FormatDesc::raw.quantize set): the block codec. Q8_0 and Q4_0 have both: the
  // per-value codes and fp16 scales above, and their ggml blocks (blocks.bin) from the codec.
  RawCodec raw;
  bool isRaw() const { return constants == nullptr; }
  bool hasRawBlocks() const { return raw.blockValues > 0; }

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
