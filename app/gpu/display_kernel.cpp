// Display conversion driver (compute and fragment paths) and its CPU mirror.
#include "gpu/display_kernel.hpp"

namespace qviz::gpu {

Result<core::Image> displayReference(const core::Image& img) {
  if (img.empty() || img.type == core::SampleType::F32) return core::fail("display needs an 8- or 16-bit image");
  core::Image out = core::Image::make(img.width, img.height, 4, core::SampleType::U8);
  const unsigned shift = img.type == core::SampleType::U16 ? 8 : 0;
  const std::size_t ch = std::size_t(img.channels), cc = std::size_t(img.colorChannels());
  for (std::size_t p = 0; p < img.pixelCount(); ++p) {
    for (std::size_t c = 0; c < 3; ++c) out.u8[p * 4 + c] = std::uint8_t(img.sample(p * ch + std::min(c, cc - 1)) >> shift);
    out.u8[p * 4 + 3] = ch == cc ? std::uint8_t(255) : std::uint8_t(img.sample(p * ch + cc) >> shift);
  }
  return out;
}

Status DisplayGpu::run(const DeviceImage& img, RgbaTexture& out, GpuPath path) {
  if (auto st = m_env.context->supports(path); !st) return st;
  if (img.empty()) return core::fail("display: the image is empty");
  const bool wide = img.type() == core::SampleType::U16;
  GlStateGuard guard;
  out.ensure(img.width(), img.height());
  if (path == GpuPath::Compute) {
    const ProgramDesc desc{wide ? "display.compute.u16" : "display.compute.u8",
                           {{ShaderStage::Compute, "display.comp"}},
                           wide ? "#define SAMPLE_BITS 16\n" : "#define SAMPLE_BITS 8\n"};
    if (auto st = m_env.shaders->ensure(desc); !st) return st;
    const GLuint prog = m_env.shaders->program(desc.name);
    glUseProgram(prog);
    setUniform(prog, "u_width", GLuint(img.width()));
    setUniform(prog, "u_pixelCount", GLuint(img.pixelCount()));
    setUniform(prog, "u_channels", GLuint(img.channels()));
    setUniform(prog, "u_colorChannels", GLuint(img.colorChannels()));
    setUniform(prog, "u_shift", GLuint(wide ? 8 : 0));
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, img.buffer());
    glBindImageTexture(0, out.id(), 0, GL_FALSE, 0, GL_WRITE_ONLY, GL_RGBA8);
    glDispatchCompute(groupCount(img.pixelCount(), 256, m_env.limits.maxGroups), 1, 1);
    barrierAfterCompute();
    glBindImageTexture(0, 0, 0, GL_FALSE, 0, GL_WRITE_ONLY, GL_RGBA8);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, 0);
  } else {
    const ProgramDesc desc{"display.fragment",
                           {{ShaderStage::Vertex, kFullscreenVertex}, {ShaderStage::Fragment, "display.frag"}},
                           {}};
    if (auto st = m_env.shaders->ensure(desc); !st) return st;
    const GLuint prog = m_env.shaders->program(desc.name);
    if (auto st = m_texture.assign(img, m_env.context->caps().maxTextureSize); !st) return st;
    glUseProgram(prog);
    setUniform(prog, "u_image", GLint(0));
    setUniform(prog, "u_channels", GLuint(img.channels()));
    setUniform(prog, "u_colorChannels", GLuint(img.colorChannels()));
    setUniform(prog, "u_shift", GLuint(wide ? 8 : 0));
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, m_texture.id());
    glBindFramebuffer(GL_FRAMEBUFFER, out.framebuffer());
    if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
      return core::fail("the display framebuffer is incomplete");
    glViewport(0, 0, out.width(), out.height());
    glBindVertexArray(out.vertexArray().id());
    glDrawArrays(GL_TRIANGLES, 0, 3);
  }
  return m_env.context->checkErrors("display");
}

}  // namespace qviz::gpu
