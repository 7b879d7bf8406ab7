// Error map: the CPU mirror and the GPU driver (compute: image store; fragment: RGBA8 framebuffer).
#include "gpu/error_map.hpp"

#include <algorithm>
#include <cstdlib>

namespace qviz::gpu {

const char* errorMapModeName(ErrorMapMode m) { return m == ErrorMapMode::Absolute ? "absolute" : "signed"; }

Status validateErrorMap(const core::Image& reference, const core::Image& quantized, const ErrorMapSettings& s) {
  if (reference.empty()) return core::fail("the error map needs a non-empty image");
  if (reference.type == core::SampleType::F32) return core::fail("the error map takes 8- and 16-bit images");
  if (!reference.sameShape(quantized)) return core::fail("the error map needs two images of the same shape");
  if (s.gain < 1 || s.gain > kMaxErrorMapGain)
    return core::fail("the error map gain must be between 1 and " + std::to_string(kMaxErrorMapGain));
  return {};
}

namespace {
// Must stay identical to errorMapValue in shaders/common/error_map.glsl.
std::uint8_t errorMapValue(std::uint32_t r, std::uint32_t q, ErrorMapMode mode, std::uint32_t gain, int shift) {
  const std::int32_t e = std::int32_t(q) - std::int32_t(r);
  if (mode == ErrorMapMode::Absolute)
    return std::uint8_t(std::min<std::uint32_t>(255u, (std::uint32_t(std::abs(e)) * gain) >> shift));
  return std::uint8_t(std::clamp(128 + ((e * std::int32_t(gain)) >> shift), 0, 255));
}
}  // namespace

Result<core::Image> errorMapReference(const core::Image& reference, const core::Image& quantized,
                                      const ErrorMapSettings& s) {
  if (auto st = validateErrorMap(reference, quantized, s); !st) return core::fail(st.error());
  core::Image out = core::Image::make(reference.width, reference.height, 4, core::SampleType::U8);
  const int shift = reference.type == core::SampleType::U16 ? 8 : 0;
  const std::size_t ch = std::size_t(reference.channels);
  const int cc = reference.colorChannels();
  for (std::size_t p = 0; p < reference.pixelCount(); ++p) {
    for (int c = 0; c < 3; ++c) {
      const std::size_t i = p * ch + std::size_t(std::min(c, cc - 1));
      out.u8[p * 4 + std::size_t(c)] = errorMapValue(reference.sample(i), quantized.sample(i), s.mode, s.gain, shift);
    }
    out.u8[p * 4 + 3] = 255;
  }
  return out;
}

Status ErrorMapGpu::run(const DeviceImage& reference, const DeviceImage& quantized, const ErrorMapSettings& s,
                        RgbaTexture& out, GpuPath path) {
  if (auto st = m_env.context->supports(path); !st) return st;
  if (auto st = validateErrorMap(reference.shape(), quantized.shape(), s); !st) return st;
  const bool wide = reference.type() == core::SampleType::U16;
  GlStateGuard guard;
  out.ensure(reference.width(), reference.height());
  if (path == GpuPath::Compute) {
    const ProgramDesc desc{wide ? "error_map.compute.u16" : "error_map.compute.u8",
                           {{ShaderStage::Compute, "error_map.comp"}},
                           wide ? "#define SAMPLE_BITS 16\n" : "#define SAMPLE_BITS 8\n"};
    if (auto st = m_env.shaders->ensure(desc); !st) return st;
    const GLuint prog = m_env.shaders->program(desc.name);
    glUseProgram(prog);
    setUniform(prog, "u_width", GLuint(reference.width()));
    setUniform(prog, "u_pixelCount", GLuint(reference.pixelCount()));
    setUniform(prog, "u_channels", GLuint(reference.channels()));
    setUniform(prog, "u_colorChannels", GLuint(reference.colorChannels()));
    setUniform(prog, "u_mode", GLuint(s.mode));
    setUniform(prog, "u_gain", GLuint(s.gain));
    setUniform(prog, "u_shift", GLuint(wide ? 8 : 0));
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, reference.buffer());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, quantized.buffer());
    glBindImageTexture(0, out.id(), 0, GL_FALSE, 0, GL_WRITE_ONLY, GL_RGBA8);
    glDispatchCompute(groupCount(reference.pixelCount(), 256, m_env.limits.maxGroups), 1, 1);
    barrierAfterCompute();
    glBindImageTexture(0, 0, 0, GL_FALSE, 0, GL_WRITE_ONLY, GL_RGBA8);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, 0);
  } else {
    const ProgramDesc desc{"error_map.fragment",
                           {{ShaderStage::Vertex, kFullscreenVertex}, {ShaderStage::Fragment, "error_map.frag"}},
                           {}};
    if (auto st = m_env.shaders->ensure(desc); !st) return st;
    const GLuint prog = m_env.shaders->program(desc.name);
    const int maxSize = m_env.context->caps().maxTextureSize;
    if (auto st = m_refTexture.assign(reference, maxSize); !st) return st;
    if (auto st = m_quantTexture.assign(quantized, maxSize); !st) return st;
    glUseProgram(prog);
    setUniform(prog, "u_ref", GLint(0));
    setUniform(prog, "u_quant", GLint(1));
    setUniform(prog, "u_colorChannels", GLuint(reference.colorChannels()));
    setUniform(prog, "u_mode", GLuint(s.mode));
    setUniform(prog, "u_gain", GLuint(s.gain));
    setUniform(prog, "u_shift", GLuint(wide ? 8 : 0));
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, m_refTexture.id());
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, m_quantTexture.id());
    glBindFramebuffer(GL_FRAMEBUFFER, out.framebuffer());
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    if (status != GL_FRAMEBUFFER_COMPLETE) return core::fail("the error-map framebuffer is incomplete");
    glViewport(0, 0, out.width(), out.height());
    glBindVertexArray(out.vertexArray().id());
    glDrawArrays(GL_TRIANGLES, 0, 3);
  }
  return m_env.context->checkErrors("error map");
}

Result<core::Image> ErrorMapGpu::compute(const core::Image& reference, const core::Image& quantized,
                                         const ErrorMapSettings& s, GpuPath path) {
  if (auto st = validateErrorMap(reference, quantized, s); !st) return core::fail(st.error());
  if (auto st = m_ref.upload(reference); !st) return core::fail(st.error());
  if (auto st = m_quant.upload(quantized); !st) return core::fail(st.error());
  if (auto st = run(m_ref, m_quant, s, m_out, path); !st) return core::fail(st.error());
  return m_out.read();
}

}  // namespace qviz::gpu
