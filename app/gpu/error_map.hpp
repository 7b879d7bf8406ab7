// The error map: a colour picture of quantized - reference for the explorer, as an RGBA8 texture.
// Mapping (integer only, so CPU and GPU agree exactly): per colour channel e = q - r;
//   absolute: min(255, (|e| * gain) >> shift)
//   signed:   clamp(128 + ((e * gain) >> shift), 0, 255)   (flooring shift; 128 = no error)
// shift = 0 for 8-bit and 8 for 16-bit images; gain 1..4096. Gray images replicate into R, G, B;
// alpha is 255. errorMapReference is the CPU mirror the GPU kernels (error_map.comp/.frag) must equal.
#pragma once
#include <cstdint>

#include "gpu/kernel_util.hpp"

namespace qviz::gpu {

enum class ErrorMapMode : std::uint8_t { Absolute, Signed };
const char* errorMapModeName(ErrorMapMode m);  // "absolute", "signed"

struct ErrorMapSettings {
  ErrorMapMode mode = ErrorMapMode::Absolute;
  std::uint32_t gain = 1;  // 1..kMaxErrorMapGain
};
inline constexpr std::uint32_t kMaxErrorMapGain = 4096;

Status validateErrorMap(const core::Image& reference, const core::Image& quantized, const ErrorMapSettings& s);
// The mapping above on the CPU: an RGBA8 image of the reference's size.
Result<core::Image> errorMapReference(const core::Image& reference, const core::Image& quantized,
                                      const ErrorMapSettings& s);

class ErrorMapGpu {
public:
  static constexpr const char* kReference = "qviz::gpu::errorMapReference";

  explicit ErrorMapGpu(GpuEnv env) : m_env(env) {}
  // Writes the map into `out` (resized to the images). Compute or fragment path.
  Status run(const DeviceImage& reference, const DeviceImage& quantized, const ErrorMapSettings& s,
             RgbaTexture& out, GpuPath path);
  // Upload, run, read back.
  Result<core::Image> compute(const core::Image& reference, const core::Image& quantized, const ErrorMapSettings& s,
                              GpuPath path);

private:
  GpuEnv m_env;
  IntegerTexture m_refTexture, m_quantTexture;
  DeviceImage m_ref, m_quant;
  RgbaTexture m_out;
};

}  // namespace qviz::gpu
