// Histogram, error statistics and SSIM drivers.
#include "gpu/metrics_kernels.hpp"

#include <algorithm>

namespace qviz::gpu {
namespace {
const char* samplePrelude(const DeviceImage& img) {
  return img.type() == core::SampleType::U16 ? "#define SAMPLE_BITS 16\n" : "#define SAMPLE_BITS 8\n";
}
std::string variant(const char* base, const DeviceImage& img) {
  return std::string(base) + (img.type() == core::SampleType::U16 ? ".u16" : ".u8");
}
}  // namespace

Status requireCompute(const GpuContext& ctx, const char* what) {
  if (auto st = ctx.supports(GpuPath::Compute); !st)
    return core::fail(std::string(what) + " runs on the compute path only: " + st.error());
  return {};
}

Result<std::vector<core::Histogram>> HistogramGpu::run(const DeviceImage& img) {
  if (auto st = requireCompute(*m_env.context, "the GPU histogram"); !st) return core::fail(st.error());
  if (img.empty()) return core::fail("the histogram needs a non-empty image");
  const ProgramDesc desc{variant("histogram", img), {{ShaderStage::Compute, "histogram.comp"}}, samplePrelude(img)};
  if (auto st = m_env.shaders->ensure(desc); !st) return core::fail(st.error());
  const GLuint prog = m_env.shaders->program(desc.name);
  reserveBuffer(m_bins, m_binsCapacity, 3 * 256 * 4);
  zeroBuffer(m_bins, 3 * 256 * 4);
  {
    ProgramGuard keep;
    glUseProgram(prog);
    setUniform(prog, "u_pixelCount", GLuint(img.pixelCount()));
    setUniform(prog, "u_channels", GLuint(img.channels()));
    setUniform(prog, "u_colorChannels", GLuint(img.colorChannels()));
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, img.buffer());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m_bins.id());
    glDispatchCompute(groupCount(img.pixelCount(), 256, m_env.limits.maxGroups), 1, 1);
    barrierAfterCompute();
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
  }
  const auto bins = readBuffer<std::uint32_t>(m_bins, 3 * 256);
  if (auto st = m_env.context->checkErrors("histogram"); !st) return core::fail(st.error());
  std::vector<core::Histogram> out(std::size_t(img.colorChannels()), core::Histogram{});
  for (std::size_t c = 0; c < out.size(); ++c)
    for (std::size_t b = 0; b < 256; ++b) out[c][b] = bins[c * 256 + b];
  return out;
}

Result<ErrorStats> ErrorStatsGpu::run(const DeviceImage& reference, const DeviceImage& quantized) {
  if (auto st = requireCompute(*m_env.context, "the GPU error statistics"); !st) return core::fail(st.error());
  if (reference.empty() || !reference.sameShape(quantized))
    return core::fail("error statistics need two non-empty images of the same shape");
  const ProgramDesc desc{variant("error_stats", reference), {{ShaderStage::Compute, "error_stats.comp"}},
                         samplePrelude(reference)};
  if (auto st = m_env.shaders->ensure(desc); !st) return core::fail(st.error());
  const GLuint prog = m_env.shaders->program(desc.name);
  // Few groups (each loops over many pixels): the CPU adds one partial per group.
  const std::uint32_t groups = groupCount(reference.pixelCount(), 256 * 16, std::min<std::uint32_t>(m_env.limits.maxGroups, 1024));
  const std::size_t words = 2 + 2 * std::size_t(groups);
  reserveBuffer(m_stats, m_capacity, words * 4);
  zeroBuffer(m_stats, 8);  // the max and its padding word; partials are all written
  {
    ProgramGuard keep;
    glUseProgram(prog);
    setUniform(prog, "u_pixelCount", GLuint(reference.pixelCount()));
    setUniform(prog, "u_channels", GLuint(reference.channels()));
    setUniform(prog, "u_colorChannels", GLuint(reference.colorChannels()));
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, reference.buffer());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, quantized.buffer());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 2, m_stats.id());
    glDispatchCompute(groups, 1, 1);
    barrierAfterCompute();
    for (GLuint i = 0; i < 3; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  }
  const auto stats = readBuffer<std::uint32_t>(m_stats, words);
  if (auto st = m_env.context->checkErrors("error statistics"); !st) return core::fail(st.error());
  ErrorStats out;
  out.maxAbsError = stats[0];
  for (std::size_t g = 0; g < groups; ++g)
    out.sumSquaredError += std::uint64_t(stats[2 + 2 * g]) | (std::uint64_t(stats[3 + 2 * g]) << 32);
  out.samples = std::uint64_t(reference.pixelCount()) * std::uint64_t(reference.colorChannels());
  return out;
}

Result<std::optional<double>> SsimGpu::run(const DeviceImage& a, const DeviceImage& b) {
  if (auto st = requireCompute(*m_env.context, "the GPU SSIM"); !st) return core::fail(st.error());
  if (a.empty() || !a.sameShape(b)) return core::fail("SSIM needs two non-empty images of the same shape");
  if (a.width() < 11 || a.height() < 11) return std::optional<double>();
  const ProgramDesc vdesc{variant("ssim_vertical", a), {{ShaderStage::Compute, "ssim_vertical.comp"}},
                          samplePrelude(a)};
  const ProgramDesc hdesc{"ssim_horizontal", {{ShaderStage::Compute, "ssim_horizontal.comp"}}, {}};
  if (auto st = m_env.shaders->ensure(vdesc); !st) return core::fail(st.error());
  if (auto st = m_env.shaders->ensure(hdesc); !st) return core::fail(st.error());
  const GLuint vprog = m_env.shaders->program(vdesc.name), hprog = m_env.shaders->program(hdesc.name);

  const auto taps = core::ssimGaussianTaps();
  const double vmax = a.vmax();
  // Exactly the constants of core::ssim.
  const float c1 = float((0.01 * vmax) * (0.01 * vmax));
  const float c2 = float((0.03 * vmax) * (0.03 * vmax));
  const float centre = float(a.vmax()) * 0.5f;
  const std::uint32_t width = std::uint32_t(a.width()), rows = std::uint32_t(a.height() - 10);
  const std::uint64_t plane = std::uint64_t(width) * rows;
  const std::uint64_t cropped = std::uint64_t(width - 10) * rows;
  // Work items match the shaders: columns x bands of 32 rows (vertical), rows x runs of 32 columns
  // (horizontal), 64 invocations per group.
  const std::uint64_t vitems = std::uint64_t(width) * ((rows + 31) / 32);
  const std::uint64_t hitems = std::uint64_t(rows) * ((width - 10 + 31) / 32);
  const std::uint32_t hgroups = groupCount(hitems, 64, std::min<std::uint32_t>(m_env.limits.maxGroups, 4096));
  // Pass 1 output: a vec4 (x, y, x^2, y^2) per pixel, then one float (xy) per pixel.
  const std::size_t vec4Bytes = std::size_t(plane) * 4 * sizeof(float);
  const int cc = a.colorChannels();
  // Per-channel slices of the partial sums and the xy plane, aligned for glBindBufferRange.
  GLint align = 256;
  glGetIntegerv(GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, &align);
  const std::size_t sliceAlign = std::max<std::size_t>(std::size_t(align), 8);
  const std::size_t slice = (std::size_t(hgroups) * sizeof(double) + sliceAlign - 1) / sliceAlign * sliceAlign;
  const std::size_t xyOffset = (vec4Bytes + sliceAlign - 1) / sliceAlign * sliceAlign;
  reserveBuffer(m_vertical, m_verticalCapacity, xyOffset + std::size_t(plane) * sizeof(float));
  reserveBuffer(m_partials, m_partialCapacity, slice * std::size_t(cc));

  double total = 0;
  {
    ProgramGuard keep;
    for (int c = 0; c < cc; ++c) {
      glUseProgram(vprog);
      setUniform(vprog, "u_width", GLuint(width));
      setUniform(vprog, "u_rows", GLuint(rows));
      setUniform(vprog, "u_channels", GLuint(a.channels()));
      setUniform(vprog, "u_channel", GLuint(c));
      setUniform(vprog, "u_centre", centre);
      setUniformArray(vprog, "u_taps", taps.data(), 11);
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, a.buffer());
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, b.buffer());
      glBindBufferRange(GL_SHADER_STORAGE_BUFFER, 2, m_vertical.id(), 0, GLsizeiptr(vec4Bytes));
      glBindBufferRange(GL_SHADER_STORAGE_BUFFER, 4, m_vertical.id(), GLintptr(xyOffset),
                        GLsizeiptr(std::size_t(plane) * sizeof(float)));
      glDispatchCompute(groupCount(vitems, 64, m_env.limits.maxGroups), 1, 1);
      glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);

      glUseProgram(hprog);
      setUniform(hprog, "u_width", GLuint(width));
      setUniform(hprog, "u_rows", GLuint(rows));
      setUniform(hprog, "u_centre", centre);
      setUniform(hprog, "u_c1", c1);
      setUniform(hprog, "u_c2", c2);
      setUniformArray(hprog, "u_taps", taps.data(), 11);
      glBindBufferRange(GL_SHADER_STORAGE_BUFFER, 3, m_partials.id(), GLintptr(std::size_t(c) * slice),
                        GLsizeiptr(std::size_t(hgroups) * sizeof(double)));
      glDispatchCompute(hgroups, 1, 1);
      // The next channel's vertical pass overwrites what this pass reads.
      barrierAfterCompute();
    }
    for (GLuint i = 0; i < 5; ++i) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, i, 0);
  }
  const auto partials = readBuffer<double>(m_partials, slice / sizeof(double) * std::size_t(cc));
  if (auto st = m_env.context->checkErrors("SSIM"); !st) return core::fail(st.error());
  for (int c = 0; c < cc; ++c) {
    double s = 0;
    for (std::uint32_t g = 0; g < hgroups; ++g) s += partials[std::size_t(c) * slice / sizeof(double) + g];
    total += s / double(cropped);
  }
  return std::optional<double>(total / cc);
}

}  // namespace qviz::gpu
