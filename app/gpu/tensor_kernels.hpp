// Block-wise tensor quantization on the GPU: shaders/quantize_blockwise.comp and
// dequantize_blockwise.comp (NF4 / FP4, with double quantization of the absmax), and
// *_blockwise_formats.comp (int8/4/2, uint8/4, FP8 E4M3/E5M2, ggml Q8_0/Q4_0). The raw block
// formats (FormatDesc::isRaw: ggml k-quants, IQ4, MX, NVFP4, ...) go to gpu::RawFormatGpu
// (raw_kernels.hpp), which also writes Q8_0's and Q4_0's ggml blocks. References:
// core::quantizeBlockwise (codes, packed, absmax, qabsmax, absmax2, absmaxDq, blocks equal) and
// core::dequantizeBlockwise (bit-identical floats).
#pragma once
#include <cstddef>
#include <vector>

#include "gpu/kernel_util.hpp"
#include "gpu/raw_kernels.hpp"
#include "quant/blockwise.hpp"

namespace qviz::gpu {

class BlockwiseQuantizerGpu {
public:
  static constexpr const char* kReference = "core::quantizeBlockwise";
  static constexpr const char* kDequantReference = "core::dequantizeBlockwise";

  explicit BlockwiseQuantizerGpu(GpuEnv env) : m_env(env), m_raw(env) {}

  // Ok when the settings are valid (every core::TensorFormat runs on the GPU).
  static Status supports(const core::BlockwiseSettings& s);

  // Upload, quantize, read back: the same QuantizedTensor as core::quantizeBlockwise(x, n, s)
  // (raw formats: blocks and each value's code, read from the GPU's blocks with RawCodec::codes).
  Result<core::QuantizedTensor> quantize(const float* x, std::size_t n, const core::BlockwiseSettings& s);
  // Upload, dequantize, read back into out[0..q.n): the same floats as core::dequantizeBlockwise.
  Status dequantize(const core::QuantizedTensor& q, float* out);

  // Device-resident steps (the benchmark; not raw formats, whose steps are RawFormatGpu's): upload
  // the input once, then quantize it on the GPU
  // (reads back only the per-block absmax to form the reciprocals), or dequantize the packed codes
  // left by the last quantize into the output buffer.
  Status upload(const float* x, std::size_t n);
  Status runQuantize(std::size_t n, const core::BlockwiseSettings& s);
  Status runDequantize(std::size_t n, const core::BlockwiseSettings& s);
  // Reads what runQuantize left into q (codes, packed, absmax and the double-quantization fields).
  void readQuantized(std::size_t n, const core::BlockwiseSettings& s, core::QuantizedTensor& q);

private:
  Status ensurePrograms(const core::BlockwiseSettings& s);
  Status ensureFormatPrograms(core::TensorFormat f);
  Status runQuantizeFormats(std::size_t n, const core::BlockwiseSettings& s);
  Status dequantizeFormats(const core::QuantizedTensor& q, float* out);
  void dispatch(GLuint prog, std::size_t items);
  Status quantizeRaw(const float* x, std::size_t n, const core::BlockwiseSettings& s, core::QuantizedTensor& q);

  GpuEnv m_env;
  RawFormatGpu m_raw;
  Buffer m_x, m_absmax, m_inv, m_codes, m_packed, m_absmax2, m_inv2, m_qabsmax, m_absmaxDq, m_out;
  std::size_t m_xCap = 0, m_absmaxCap = 0, m_invCap = 0, m_codesCap = 0, m_packedCap = 0, m_absmax2Cap = 0,
              m_inv2Cap = 0, m_qabsmaxCap = 0, m_absmaxDqCap = 0, m_outCap = 0;
  Buffer m_stats, m_consts;
  std::size_t m_statsCap = 0, m_constsCap = 0;
  std::vector<float> m_hostZeroPoint;
  std::vector<float> m_hostAbsmax, m_hostInv, m_hostAbsmax2, m_hostInv2;
  float m_offset = 0.0f;
};

}  // namespace qviz::gpu
