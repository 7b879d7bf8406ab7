// The explorer's GPU engine: kernels from qviz_gpu chained without CPU copies.
#include "ui/gpu_engine.hpp"

#include <algorithm>
#include <chrono>

namespace qviz::ui {
using namespace qviz::core;

core::Result<std::unique_ptr<GpuEngine>> GpuEngine::forCurrentContext(GLADloadfunc getProcAddress) {
  auto ctx = gpu::GpuContext::wrapCurrent(getProcAddress);
  if (!ctx) return fail(ctx.error());
  std::unique_ptr<GpuEngine> e(new GpuEngine());
  e->m_ownedContext = std::move(*ctx);
  e->m_ownedShaders = std::make_unique<gpu::ShaderLibrary>();
  e->m_ownedShaders->setDebounceMs(50);  // editors write in several steps; build once they settle
  e->makeKernels(gpu::GpuEnv{e->m_ownedContext.get(), e->m_ownedShaders.get(), {}});
  return e;
}

std::unique_ptr<GpuEngine> GpuEngine::borrow(gpu::GpuContext& ctx, gpu::ShaderLibrary& shaders) {
  std::unique_ptr<GpuEngine> e(new GpuEngine());
  e->makeKernels(gpu::GpuEnv{&ctx, &shaders, {}});
  return e;
}

void GpuEngine::makeKernels(gpu::GpuEnv env) {
  m_env = env;
  m_quantizer = std::make_unique<gpu::UniformQuantizerGpu>(env);
  m_display = std::make_unique<gpu::DisplayGpu>(env);
  m_errorMap = std::make_unique<gpu::ErrorMapGpu>(env);
  m_histogram = std::make_unique<gpu::HistogramGpu>(env);
  m_errorStats = std::make_unique<gpu::ErrorStatsGpu>(env);
  m_ssim = std::make_unique<gpu::SsimGpu>(env);
}

Status GpuEngine::setImage(const Image& original, const Image& reference) {
  m_gray = reference.channels != original.channels;
  m_histBefore.clear();
  if (auto st = m_original.upload(original); !st) return st;
  if (auto st = m_reference.upload(reference); !st) return st;
  const gpu::GpuPath path = m_env.context->defaultPath();
  return m_display->run(m_reference, m_originalTex, path);
}

Result<GpuViewResult> GpuEngine::quantize(const UniformSettings& s, gpu::GpuPath path) {
  const auto t0 = std::chrono::steady_clock::now();
  if (auto st = m_quantizer->run(m_original, s, m_quantized, path); !st) return fail(st.error());
  if (auto st = m_display->run(m_quantized, m_resultTex, path); !st) return fail(st.error());
  glFinish();
  GpuViewResult r;
  r.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  r.path = path == gpu::GpuPath::Compute ? "GPU compute" : "GPU fragment";
  return r;
}

Status GpuEngine::errorMap(const gpu::ErrorMapSettings& s, gpu::GpuPath path) {
  return m_errorMap->run(m_reference, m_quantized, s, m_errorTex, path);
}

Result<ImageMetrics> GpuEngine::metrics(const Image& original, const UniformSettings& s, std::vector<Histogram>& before,
                                        std::vector<Histogram>& after) {
  if (m_histBefore.empty()) {
    auto hb = m_histogram->run(m_reference);
    if (!hb) return fail(hb.error());
    m_histBefore = std::move(*hb);
  }
  auto ha = m_histogram->run(m_quantized);
  if (!ha) return fail(ha.error());
  auto es = m_errorStats->run(m_reference, m_quantized);
  if (!es) return fail(es.error());
  ImageMetrics m;
  m.mse = es->mse();
  m.psnrDb = psnrFromMse(m.mse, m_reference.vmax());
  m.maxAbsError = es->maxAbsError;
  // Distinct output values: exact from the 256-bin histograms for 8-bit images; for 16-bit
  // images this counts occupied bins (value / 256).
  std::array<bool, 256> used{};
  for (const auto& h : *ha)
    for (std::size_t i = 0; i < 256; ++i) used[i] = used[i] || h[i] > 0;
  m.levelsUsed = std::uint32_t(std::count(used.begin(), used.end(), true));
  const Image refShape = m_reference.shape();
  m.storage = storageInfo(original, refShape, s);
  before = m_histBefore;
  after = std::move(*ha);
  return m;
}

Result<std::optional<double>> GpuEngine::ssim() { return m_ssim->run(m_reference, m_quantized); }

}  // namespace qviz::ui

namespace qviz::ui {

core::Result<std::vector<std::uint32_t>> GpuEngine::quantizedPixel(int x, int y) const {
  const gpu::DeviceImage& q = m_quantized;
  if (q.empty() || x < 0 || y < 0 || x >= q.width() || y >= q.height()) return fail("no such pixel");
  const std::size_t bytes = q.type() == SampleType::U16 ? 2 : 1;
  const std::size_t ch = std::size_t(q.channels());
  const std::size_t offset = (std::size_t(y) * std::size_t(q.width()) + std::size_t(x)) * ch * bytes;
  std::vector<std::uint8_t> raw(ch * bytes);
  GLint previous = 0;
  glGetIntegerv(GL_COPY_READ_BUFFER_BINDING, &previous);
  glBindBuffer(GL_COPY_READ_BUFFER, q.buffer());
  glGetBufferSubData(GL_COPY_READ_BUFFER, GLintptr(offset), GLsizeiptr(raw.size()), raw.data());
  glBindBuffer(GL_COPY_READ_BUFFER, GLuint(previous));
  std::vector<std::uint32_t> out(ch);
  for (std::size_t c = 0; c < ch; ++c)
    out[c] = bytes == 2 ? std::uint32_t(raw[c * 2]) | std::uint32_t(raw[c * 2 + 1]) << 8 : raw[c];
  return out;
}

}  // namespace qviz::ui
