// Block-wise weight quantization formats: bitsandbytes NF4/FP4 (+ double quantization of the
// absmax), symmetric/asymmetric int, FP8 E4M3/E5M2 and ggml Q8_0/Q4_0. The CPU reference that the
// GPU tensor kernels must match code for code. Contracts: docs/numeric-contracts.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quant/format_table.hpp"
#include "util/half.hpp"
#include "util/result.hpp"

namespace qviz::core {

// TensorFormat and the table that describes each format: quant/format_table.hpp. Shorthands:
const char* tensorFormatName(TensorFormat f);  // formatDesc(f).name: "nf4", "fp8-e4m3", "q8_0"; "?" out of range
bool parseTensorFormat(const std::string& s, TensorFormat& out);
int formatCodeBits(TensorFormat f);            // formatDesc(f).codeBits: 4 for nf4, 8 for int8, ...

struct BlockwiseSettings {
  TensorFormat format = TensorFormat::NF4;
  int blocksize = 64;        // power of two 32..4096 (formats with a fixed blocksize, ggml's: always that)
  bool doubleQuant = false;  // formats that allow it (NF4/FP4): 8-bit dynamic quantization of the absmax
  // Raw formats that make blocks along the last axis (MX, NVFP4): the length of that axis; 0 means
  // the whole tensor is one row. ggml's formats ignore it (they cut the flattened tensor).
  std::size_t rowLength = 0;
  // nvfp4 quantizing a range of a longer tensor: max |x| of the whole tensor (its tensor scale);
  // negative: taken from the values given.
  float tensorAmax = -1.0f;
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
  // Raw formats (and q8_0/q4_0): the blocks exactly as the format's reference stores them, header
  // included (blocks.bin); for raw formats `codes` holds each value's code as stored in its block.
  std::vector<std::uint8_t> blocks;
  std::size_t rowLength = 0;          // raw formats: the row length the blocks were cut along (0: one row)
};

Status validateBlockwise(const BlockwiseSettings& s);
// Quantizes n float32 values (finite; NaN/Inf are refused with the index of the first one).
Result<QuantizedTensor> quantizeBlockwise(const float* x, std::size_t n, const BlockwiseSettings& s);
// Dequantizes into out[0..q.n). A malformed tensor (neither n codes nor, for 4-bit formats,
// ceil(n/2) packed bytes; or too few block constants) gives zeros instead of reading past its buffers.
void dequantizeBlockwise(const QuantizedTensor& q, float* out);

// The offset of double quantization: the float32 pairwise mean of the absmax (sequential below 8
// values), which reproduces torch's float32 mean on the reference vectors. The GPU driver uses it too.
float doubleQuantOffset(const float* absmax, std::size_t blocks);

// The 16 NF4 / FP4 code values (index = code), the 256-entry signed dynamic map.
const std::vector<float>& nf4Table();
const std::vector<float>& fp4Table();
const std::vector<float>& dynamicMap();
const Codebook& dynamicMapCodebook();  // the dynamic map's midpoints (double quantization)

struct FormatStats {
  double bitsPerParam = 0;  // code bits plus constants (NF4 bs64: 4.5; with double quant ~4.127)
  double mse = 0, rmse = 0, maxAbsError = 0;
  double sqnrDb = 0;        // 10 log10(sum x^2 / sum err^2); +inf when exact
};
double bitsPerParam(const BlockwiseSettings& s, std::size_t n);
FormatStats formatStats(const float* x, const float* dequant, std::size_t n, const BlockwiseSettings& s);

// How often each code occurs in a quantized tensor: counts[c] is the number of the q.n values whose
// code is c (2^formatCodeBits(q.format) entries: 16 for NF4). It is what "the levels are used about
// equally often" has to be checked against: after absmax scaling every block's largest value lands
// on a +-1 code, so NF4 on normal data at blocksize 64 uses its levels from about 1.7% to 9.3% of
// the time, not 1/16 each. Read from `codes` when it holds n codes, else from the 4-bit `packed`
// bytes; a malformed tensor gives all-zero counts.
struct CodeUse {
  std::vector<std::uint64_t> counts;
  std::uint64_t total = 0;  // q.n
  double fraction(std::size_t code) const {
    return total && code < counts.size() ? double(counts[code]) / double(total) : 0.0;
  }
};
CodeUse codeUse(const QuantizedTensor& q);

// ---- Added with the implementation (blockwise.cpp) -------------------------------------------
// Codes: NF4/FP4 codes index nf4Table()/fp4Table(). Signed integer formats use offset binary,
// code = q + 2^(N-1) (int8/q8_0: q + 128, int4: q + 8, int2: q + 2; q4_0's own q already has
// zero at 8). uint4/uint8 codes are q with value (q - zeroPoint) * scale. FP8 codes are the OCP
// bit patterns. `absmax` holds: nf4/fp4/intN the block absmax (intN step = absmax/(2^(N-1)-1)),
// uintN/fp8 the scale, q8_0/q4_0 the fp16-rounded d (q4_0's d may be negative).
// Packing (every 4-bit format, q4_0 included, unlike ggml's own block layout): value 2j in the high
// nibble; an odd length is padded with the code of 0.0 under the last block's constants.
// dequantizeBlockwise reads `codes` when it holds n codes, else `packed`; with doubleQuant it uses
// absmaxDq. ggml formats ignore `blocksize` (always 32); a partial last block acts zero-padded.
// bitsPerParam(s, n) counts stored bits exactly for n values (codes, per-block constants, for
// double quantization absmax2 per 256 blocks and the offset); n = 0 gives the large-n limit.

// Same as quantizeBlockwise into an existing QuantizedTensor, reusing its buffers.
Status quantizeBlockwiseInto(const float* x, std::size_t n, const BlockwiseSettings& s, QuantizedTensor& q);
// Streaming (quantize-tensor): the values [first, first + count) of a longer tensor, `first` a
// multiple of the block size, quantized as quantizeBlockwiseInto quantizes them (q.n = count; the
// codes, packed bytes and constants are those of the same blocks of the whole tensor), without
// double quantization; messages name the flat index and block of the whole tensor. Raw formats:
// `first` and `first + count` must be block boundaries of the row structure (or row ends), and
// q.blocks holds the header (nvfp4: from s.tensorAmax) followed by the range's blocks.
Status quantizeBlockwiseRange(const float* x, std::size_t count, std::size_t first, const BlockwiseSettings& s,
                              QuantizedTensor& q);
// Double quantization of q.absmax (every block of the tensor): offset, qabsmax, absmax2, absmaxDq,
// as quantizeBlockwise computes them.
void doubleQuantizeAbsmax(QuantizedTensor& q);
// Number of blocks (constants) for n values; the blocksize the format uses for s.
std::size_t blockCount(const BlockwiseSettings& s, std::size_t n);
std::size_t effectiveBlocksize(const BlockwiseSettings& s);
// The 256 values of the OCP FP8 codes (index = bit pattern; E4M3 0x7f/0xff and E5M2 inf/NaN
// patterns decode as such), and the saturating round-to-nearest-even encoder.
const std::vector<float>& fp8Values(TensorFormat f);
std::uint8_t fp8EncodeValue(float y, TensorFormat f);
// roundToHalf (float32 -> fp16 -> float32, the ggml scale storage) is util/half.hpp's.

// ---- Raw block formats (FormatDesc::raw: ggml, OCP MX, NVFP4) --------------------------------
// Whether n values (rows of s.rowLength) can be cut into the format's blocks: ggml needs n a
// multiple of its block, NVFP4 a row length that is one; MX pads. The message says which and why.
Status validateBlockwiseShape(const BlockwiseSettings& s, std::size_t n);
// Bytes of blocks.bin for n values: header + blocks (rows x blocks per row for MX/NVFP4).
std::size_t rawBlocksBytes(const BlockwiseSettings& s, std::size_t n);
// Quantizes n values into `out` (header + blocks, the format's exact layout) without per-value
// codes: the fast path the benchmarks time. Non-finite values are refused.
Status quantizeRawBlocks(const float* x, std::size_t n, const BlockwiseSettings& s, std::vector<std::uint8_t>& out);
// Dequantizes blocks.bin bytes (header included) of n values; fails when `bytes` is not the size
// rawBlocksBytes gives.
Status dequantizeRawBlocks(const std::uint8_t* blocks, std::size_t bytes, std::size_t n, const BlockwiseSettings& s,
                           float* out);
// One block of q (raw formats and q8_0/q4_0) taken apart; block b counts blocks in storage order.
Result<BlockView> inspectBlock(const QuantizedTensor& q, std::size_t block);

}  // namespace qviz::core
