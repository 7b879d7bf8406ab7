// RawFormatGpu: the raw block formats (ggml legacy, k-quants, IQ4, ggml MXFP4/NVFP4, OCP MX,
// NVFP4) on the GPU. One compute program per format family and direction, built from
// shaders/raw_<FormatDesc::family>.comp with `#define QUANTIZE 1` or `#define DEQUANTIZE 1`, the
// format's `#define FMT_<NAME> 1` (the name upper-cased, '-' -> '_') and FormatDesc::gpuDefines;
// the bindings and uniforms are shaders/common/raw.glsl's. One invocation per block, grid-stride.
// References: core::quantizeRawBlocks (the same bytes, header included) and
// core::dequantizeRawBlocks (the same float bits).
//
// What the driver does on the CPU, as the core does: the shape checks and the refusal of
// non-finite values (core's own functions), the row geometry (RawCodec::rows: MX rows whose length
// is not a multiple of 32 are padded with 0.0 into the upload buffer, and their padded block values
// dropped after dequantizing), NVFP4's tensor scale (RawCodec::tensorScale of the tensor's max |x|,
// written as the header and passed as u_tensorScale), and the table of float32 log2 boundaries the
// MX and ggml-mxfp4 kernels use for floor(log2f(a)) (see below).
//
// Exactness on a GPU: what the kernels depend on (the known limits).
// - Division and square root: never the driver's. Every division the contract requires (1/d,
//   max/-8, (max-min)/15, amax16/6, bs/pts, (1/pts)/s, sumqx/sumq2, ...) and every square root
//   (k-quants) is crDiv / crSqrt of shaders/common/raw_arith.glsl, the correctly rounded IEEE
//   binary32 result (subnormals, +-0, +-inf, NaN as x86-64 SSE) from integer operations; crDiv's
//   one use of `/` is an estimate that any error up to 3 ULP leaves exact (GLSL promises 2.5).
//   Tested against the CPU on 2.9M operand pairs, also with the estimate pushed off by up to 3 ULP
//   ("[raw-arith]", which also reports the driver's own a / b: llvmpipe's equals the CPU's on all
//   of them). nvfp4's amax/2688 is the CPU's (RawCodec::tensorScale).
// - floor(log2f(a)) (the MX shared exponent and element exponent, ggml-mxfp4's E8M0): never the
//   driver's log2 (approximate in GLSL). The kernels take the exponent from the float's bits and
//   add 1 where a is at or above the smallest value of its binade whose float32 log2 rounds up to
//   the next integer (FORMATS.md §6.1); that boundary table is computed here on the CPU as
//   floor((float)log2((double)a)) by bisection, so this step is exact on any GPU.
// - + - * must be correctly rounded (GLSL 4.x requires it) and must not be fused or reassociated:
//   every float operation is `precise`, as the core's -ffp-contract=off.
// - Subnormals must be kept by + - * and by comparisons (GLSL lets a driver flush float32
//   subnormals to zero). The values the kernels must produce as subnormals they build from bits
//   (MX dequantized values and scaled elements, ggml-mxfp4 scales, fp16 reads, crDiv / crSqrt
//   results). Mesa's llvmpipe keeps subnormals: blocks of subnormals (ggml's all-subnormal blocks
//   of FORMATS.md §2, the k-quants' subnormal super-block, MX's se = -127, ggml-mxfp4's wrapped
//   E8M0) and nvfp4 tensors whose tensor scale is subnormal equal the CPU there (tested). On a
//   driver that flushes, blocks whose inputs are float32 subnormals (|x| < 2^-126, about 1.2e-38)
//   or whose products pass through one can differ.
// - +-inf and NaN: where the contract's float32 arithmetic meets them (ggml's subnormal blocks
//   make 1/d = inf and x * inf; nvfp4's x * k where k = (1/pts)/s overflows, 1/pts > 2^122), the
//   kernels need IEEE + and * on them and comparisons with a NaN that are false, as the core has
//   them (GLSL requires none of it; llvmpipe has it: the subnormal and tiny-tensor tests). The one
//   NaN whose sign bit decides a code, nvfp4's 0 * inf (the x86 default NaN 0xffc00000: code 8,
//   -0, in the core), is decided from the operands' bits instead.
// - nvfp4 (two-level) on a tensor whose 1/pts is not finite (pts = 0 for an all-zero tensor, or
//   pts <= 2^-128: max |x| below about 7.9e-36) follows the core's rule for that case (outside
//   torchao's contract): every scale 0x08, every element code 0.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/kernel_util.hpp"
#include "quant/blockwise.hpp"

namespace qviz::gpu {

class RawFormatGpu {
public:
  static constexpr const char* kReference = "core::quantizeRawBlocks";
  static constexpr const char* kDequantReference = "core::dequantizeRawBlocks";

  explicit RawFormatGpu(GpuEnv env) : m_env(env) {}

  // "raw_<family>.comp": the kernel file of a format with a raw block layout.
  static std::string kernelFile(const core::FormatDesc& d);
  // "FMT_Q4_K": the define that picks the format inside its family's kernel.
  static std::string formatDefine(const core::FormatDesc& d);
  // Whether the library's shader directory holds the format's kernel file.
  static bool hasKernel(const ShaderLibrary& shaders, const core::FormatDesc& d);

  // Upload, quantize, read back: the bytes core::quantizeRawBlocks(x, n, s) gives.
  Result<std::vector<std::uint8_t>> quantize(const float* x, std::size_t n, const core::BlockwiseSettings& s);
  // Upload the blocks, dequantize, read back: the floats core::dequantizeRawBlocks gives.
  Status dequantize(const std::uint8_t* blocks, std::size_t bytes, std::size_t n, const core::BlockwiseSettings& s,
                    float* out);

  // Device-resident steps (the benchmarks): upload x once (checked and padded as quantize does),
  // quantize it into the device's block buffer, dequantize that buffer into the device's output
  // buffer; read either back.
  Status upload(const float* x, std::size_t n, const core::BlockwiseSettings& s);
  Status runQuantize();
  Status runDequantize();
  std::vector<std::uint8_t> readBlocks();
  void readValues(float* out);

private:
  struct Layout {
    std::size_t n = 0, rowLength = 0, rows = 0, blocksPerRow = 0, blocks = 0;
    std::size_t blockValues = 0, blockBytes = 0, headerBytes = 0;
    bool padded = false;  // rows are not a whole number of blocks (MX): the device holds padded rows
  };
  Result<Layout> layoutFor(const core::BlockwiseSettings& s, std::size_t n) const;
  Status ensureProgram(const core::FormatDesc& d, bool quantize, std::string& name);
  void dispatchBlocks(GLuint prog, std::size_t blocks);
  void bindLog2Table(GLuint prog);

  GpuEnv m_env;
  Buffer m_x, m_blocks, m_y;
  std::size_t m_xCap = 0, m_blocksCap = 0, m_yCap = 0;
  std::vector<float> m_padded;
  core::BlockwiseSettings m_settings;
  Layout m_layout;
  float m_tensorScale = 0.0f;
  bool m_uploaded = false, m_quantized = false;
};

// For each float32 binade k = -149..127 (index k + 149; subnormals by their leading bit), the bit
// pattern of the smallest positive float a in [2^k, 2^(k+1)) with floor((float)log2((double)a)) == k + 1,
// or the pattern of 2^(k+1) where none rounds up. floor(log2f(a)) = k + (bits(a) >= table[k + 149]).
const std::vector<std::uint32_t>& log2RoundUpTable();

}  // namespace qviz::gpu
