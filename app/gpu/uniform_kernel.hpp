// The uniform image quantizer on the GPU: shaders/quantize_uniform.comp (compute path) and
// shaders/quantize_uniform.frag (fragment path). Reference: core::quantizeUniform — every sample is
// core::dequantizeCode(core::quantizeCode(...)) of core::quantizerReference(src) (integer luma
// first with --gray); alpha passes through. Floyd-Steinberg is serial and stays on the CPU.
#pragma once
#include "gpu/kernel_util.hpp"
#include "quant/uniform.hpp"

namespace qviz::gpu {

class UniformQuantizerGpu {
public:
  static constexpr const char* kReference = "core::quantizeUniform";

  explicit UniformQuantizerGpu(GpuEnv env) : m_env(env) {}

  // Ok when the GPU can run these settings. Floyd-Steinberg fails with a "CPU only" message.
  static Status supports(const core::UniformSettings& s);
  static bool cpuOnly(const core::UniformSettings& s) { return s.dither == core::Dither::FloydSteinberg; }

  // Quantizes `src` (the original; the luma is taken on the GPU when s.gray) into `dst`, which gets
  // the shape of core::quantizerReference(src). Stays on the GPU.
  Status run(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, GpuPath path);
  // Upload, run, download: the same result as core::quantizeUniform(src, s).
  Result<core::Image> quantize(const core::Image& src, const core::UniformSettings& s, GpuPath path);

private:
  Status runCompute(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, bool gray);
  Status runFragment(const DeviceImage& src, const core::UniformSettings& s, DeviceImage& dst, bool gray);

  GpuEnv m_env;
  IntegerTexture m_srcTexture;  // fragment path scratch
  IntegerTarget m_target;
  DeviceImage m_upload, m_download;  // quantize() scratch
};

}  // namespace qviz::gpu
