// GpuEngine: the explorer's GPU side. Keeps the image on the GPU, re-quantizes it there on every
// change (compute or fragment path), converts results to display textures without a read-back,
// and computes the metrics as GPU reductions (histograms, exact error sums, SSIM; compute path).
// Owns or borrows the context and shader library; main thread only.
#pragma once
#include <memory>
#include <optional>

#include "gpu/display_kernel.hpp"
#include "gpu/error_map.hpp"
#include "gpu/metrics_kernels.hpp"
#include "gpu/uniform_kernel.hpp"
#include "metrics/metrics.hpp"

namespace qviz::ui {

struct GpuViewResult {
  double elapsedMs = 0;  // quantize + display, to glFinish
  std::string path;      // "GPU compute" / "GPU fragment"
};

class GpuEngine {
public:
  // Wraps the current (window) context.
  static core::Result<std::unique_ptr<GpuEngine>> forCurrentContext(GLADloadfunc getProcAddress);
  // Borrows a context and library that outlive the engine (headless UI).
  static std::unique_ptr<GpuEngine> borrow(gpu::GpuContext& ctx, gpu::ShaderLibrary& shaders);

  const gpu::GpuContext& context() const { return *m_env.context; }
  gpu::ShaderLibrary& shaders() { return *m_env.shaders; }
  const gpu::ShaderLibrary& shaders() const { return *m_env.shaders; }
  // The workshop quantizer used with core::Rounding::User.
  void setUserShader(const gpu::UserShader& u) { m_quantizer->setUserShader(u); }
  const std::string& lastUserProgram() const { return m_quantizer->lastUserProgram(); }
  // The quantized samples of one pixel (a few bytes read back, for the pixel inspector).
  core::Result<std::vector<std::uint32_t>> quantizedPixel(int x, int y) const;
  bool supports(gpu::GpuPath path) const { return bool(m_env.context->supports(path)); }

  // New source image (the quantizer's input and the original for display).
  core::Status setImage(const core::Image& original, const core::Image& reference);
  // Quantizes on the GPU and refreshes the result texture.
  core::Result<GpuViewResult> quantize(const core::UniformSettings& s, gpu::GpuPath path);
  core::Status errorMap(const gpu::ErrorMapSettings& s, gpu::GpuPath path);
  // Metrics by GPU reductions (compute path only), except SSIM: histograms of the source (cached
  // per image) and of the result, exact error sums, levels, storage.
  core::Result<core::ImageMetrics> metrics(const core::Image& original, const core::UniformSettings& s,
                                           std::vector<core::Histogram>& before, std::vector<core::Histogram>& after);
  // SSIM of the current result (the costliest reduction: the explorer defers it while a slider moves).
  core::Result<std::optional<double>> ssim();
  core::Result<core::Image> downloadQuantized() const { return m_quantized.download(); }

  const gpu::RgbaTexture& originalTexture() const { return m_originalTex; }
  const gpu::RgbaTexture& resultTexture() const { return m_resultTex; }
  const gpu::RgbaTexture& errorTexture() const { return m_errorTex; }

private:
  GpuEngine() = default;
  void makeKernels(gpu::GpuEnv env);
  std::unique_ptr<gpu::GpuContext> m_ownedContext;
  std::unique_ptr<gpu::ShaderLibrary> m_ownedShaders;
  gpu::GpuEnv m_env;
  std::unique_ptr<gpu::UniformQuantizerGpu> m_quantizer;
  std::unique_ptr<gpu::DisplayGpu> m_display;
  std::unique_ptr<gpu::ErrorMapGpu> m_errorMap;
  std::unique_ptr<gpu::HistogramGpu> m_histogram;
  std::unique_ptr<gpu::ErrorStatsGpu> m_errorStats;
  std::unique_ptr<gpu::SsimGpu> m_ssim;
  gpu::DeviceImage m_original, m_reference, m_quantized;
  gpu::RgbaTexture m_originalTex, m_resultTex, m_errorTex;
  bool m_gray = false;
  std::vector<core::Histogram> m_histBefore;  // of the current source
};

}  // namespace qviz::ui
