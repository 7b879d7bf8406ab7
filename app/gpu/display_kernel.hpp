// Display conversion: a DeviceImage (8/16-bit, 1-4 channels) into the RGBA8 texture the explorer
// draws, on the GPU (shaders/display.comp, display.frag), so a re-quantized image is shown
// without a read-back. displayReference is the CPU mirror the kernels must equal: 16-bit samples
// show their high byte, gray replicates into R, G, B, alpha is kept (255 without alpha).
#pragma once
#include "gpu/kernel_util.hpp"

namespace qviz::gpu {

Result<core::Image> displayReference(const core::Image& img);

class DisplayGpu {
public:
  static constexpr const char* kReference = "qviz::gpu::displayReference";
  explicit DisplayGpu(GpuEnv env) : m_env(env) {}
  Status run(const DeviceImage& img, RgbaTexture& out, GpuPath path);

private:
  GpuEnv m_env;
  IntegerTexture m_texture;  // fragment path
};

}  // namespace qviz::gpu
