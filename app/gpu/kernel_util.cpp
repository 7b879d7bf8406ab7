// Kernel plumbing: group counts, barriers, uniforms, state guard, integer textures and targets.
#include "gpu/kernel_util.hpp"

#include <algorithm>

namespace qviz::gpu {

std::uint32_t groupCount(std::uint64_t items, std::uint32_t perGroup, std::uint32_t cap) {
  const std::uint64_t need = (items + perGroup - 1) / perGroup;
  return std::uint32_t(std::clamp<std::uint64_t>(need, 1, std::max<std::uint32_t>(cap, 1)));
}

void barrierAfterCompute() {
  glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT | GL_BUFFER_UPDATE_BARRIER_BIT | GL_PIXEL_BUFFER_BARRIER_BIT |
                  GL_TEXTURE_FETCH_BARRIER_BIT | GL_SHADER_IMAGE_ACCESS_BARRIER_BIT | GL_FRAMEBUFFER_BARRIER_BIT |
                  GL_TEXTURE_UPDATE_BARRIER_BIT);
}

void setUniform(GLuint program, const char* name, GLuint v) { glUniform1ui(glGetUniformLocation(program, name), v); }
void setUniform(GLuint program, const char* name, GLint v) { glUniform1i(glGetUniformLocation(program, name), v); }
void setUniform(GLuint program, const char* name, float v) { glUniform1f(glGetUniformLocation(program, name), v); }
void setUniform(GLuint program, const char* name, const std::array<float, 4>& v) {
  glUniform4fv(glGetUniformLocation(program, name), 1, v.data());
}
void setUniform(GLuint program, const char* name, const std::array<GLuint, 4>& v) {
  glUniform4uiv(glGetUniformLocation(program, name), 1, v.data());
}
void setUniformArray(GLuint program, const char* name, const float* v, int count) {
  glUniform1fv(glGetUniformLocation(program, name), count, v);
}

void reserveBuffer(Buffer& buf, std::size_t& capacity, std::size_t bytes) {
  if (!buf) {
    buf = Buffer::create();
    capacity = 0;
  }
  if (bytes <= capacity) return;
  glBindBuffer(GL_COPY_WRITE_BUFFER, buf.id());
  glBufferData(GL_COPY_WRITE_BUFFER, GLsizeiptr(bytes), nullptr, GL_DYNAMIC_COPY);
  glBindBuffer(GL_COPY_WRITE_BUFFER, 0);
  capacity = bytes;
}

void writeBuffer(const Buffer& buf, const void* data, std::size_t bytes, std::size_t offset) {
  glBindBuffer(GL_COPY_WRITE_BUFFER, buf.id());
  glBufferSubData(GL_COPY_WRITE_BUFFER, GLintptr(offset), GLsizeiptr(bytes), data);
  glBindBuffer(GL_COPY_WRITE_BUFFER, 0);
}

void zeroBuffer(const Buffer& buf, std::size_t bytes) {
  const std::vector<std::uint8_t> zeros(bytes, 0);
  writeBuffer(buf, zeros.data(), bytes);
}

void readBuffer(const Buffer& buf, void* out, std::size_t bytes, std::size_t offset) {
  glBindBuffer(GL_COPY_READ_BUFFER, buf.id());
  glGetBufferSubData(GL_COPY_READ_BUFFER, GLintptr(offset), GLsizeiptr(bytes), out);
  glBindBuffer(GL_COPY_READ_BUFFER, 0);
}

GlStateGuard::GlStateGuard() {
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &m_drawFbo);
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &m_readFbo);
  glGetIntegerv(GL_CURRENT_PROGRAM, &m_program);
  glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &m_vao);
  glGetIntegerv(GL_ACTIVE_TEXTURE, &m_activeTexture);
  for (GLenum i = 0; i < 2; ++i) {
    glActiveTexture(GL_TEXTURE0 + i);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &m_tex[i]);
  }
  glGetIntegerv(GL_VIEWPORT, m_viewport);
  glGetIntegerv(GL_UNPACK_ALIGNMENT, &m_unpackAlign);
  glGetIntegerv(GL_PACK_ALIGNMENT, &m_packAlign);
  glGetIntegerv(GL_UNPACK_ROW_LENGTH, &m_unpackRow);
  glGetIntegerv(GL_PACK_ROW_LENGTH, &m_packRow);
  glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &m_unpackBuffer);
  glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &m_packBuffer);
  m_blend = glIsEnabled(GL_BLEND);
  m_scissor = glIsEnabled(GL_SCISSOR_TEST);
  m_depth = glIsEnabled(GL_DEPTH_TEST);
  m_cull = glIsEnabled(GL_CULL_FACE);
  m_stencil = glIsEnabled(GL_STENCIL_TEST);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_CULL_FACE);
  glDisable(GL_STENCIL_TEST);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glPixelStorei(GL_PACK_ROW_LENGTH, 0);
}

GlStateGuard::~GlStateGuard() {
  auto enable = [](GLenum cap, GLboolean on) { on ? glEnable(cap) : glDisable(cap); };
  enable(GL_BLEND, m_blend);
  enable(GL_SCISSOR_TEST, m_scissor);
  enable(GL_DEPTH_TEST, m_depth);
  enable(GL_CULL_FACE, m_cull);
  enable(GL_STENCIL_TEST, m_stencil);
  glPixelStorei(GL_UNPACK_ALIGNMENT, m_unpackAlign);
  glPixelStorei(GL_PACK_ALIGNMENT, m_packAlign);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, m_unpackRow);
  glPixelStorei(GL_PACK_ROW_LENGTH, m_packRow);
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, GLuint(m_unpackBuffer));
  glBindBuffer(GL_PIXEL_PACK_BUFFER, GLuint(m_packBuffer));
  glViewport(m_viewport[0], m_viewport[1], m_viewport[2], m_viewport[3]);
  // A kernel may have deleted what was bound (a scratch texture it reallocated): bind 0 then.
  auto live = [](GLint name, GLboolean (*isA)(GLuint)) { return name != 0 && isA(GLuint(name)) ? GLuint(name) : 0u; };
  for (GLenum i = 0; i < 2; ++i) {
    glActiveTexture(GL_TEXTURE0 + i);
    glBindTexture(GL_TEXTURE_2D, live(m_tex[i], glIsTexture));
  }
  glActiveTexture(GLenum(m_activeTexture));
  glBindVertexArray(live(m_vao, glIsVertexArray));
  glUseProgram(live(m_program, glIsProgram));
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, m_drawFbo == 0 ? 0u : live(m_drawFbo, glIsFramebuffer));
  glBindFramebuffer(GL_READ_FRAMEBUFFER, m_readFbo == 0 ? 0u : live(m_readFbo, glIsFramebuffer));
}

namespace {
struct IntegerFormat {
  GLenum internal, format, type;
};
IntegerFormat integerFormat(int channels, core::SampleType t) {
  const bool wide = t == core::SampleType::U16;
  const GLenum type = wide ? GL_UNSIGNED_SHORT : GL_UNSIGNED_BYTE;
  switch (channels) {
    case 1: return {GLenum(wide ? GL_R16UI : GL_R8UI), GL_RED_INTEGER, type};
    case 2: return {GLenum(wide ? GL_RG16UI : GL_RG8UI), GL_RG_INTEGER, type};
    case 3: return {GLenum(wide ? GL_RGB16UI : GL_RGB8UI), GL_RGB_INTEGER, type};
    default: return {GLenum(wide ? GL_RGBA16UI : GL_RGBA8UI), GL_RGBA_INTEGER, type};
  }
}
void nearestNoMips() {
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
}
Status checkSize(int w, int h, int maxTextureSize) {
  if (w > maxTextureSize || h > maxTextureSize)
    return core::fail("the image (" + std::to_string(w) + "x" + std::to_string(h) +
                      ") is larger than this GPU's texture limit of " + std::to_string(maxTextureSize));
  return {};
}
}  // namespace

Status IntegerTexture::assign(const DeviceImage& img, int maxTextureSize) {
  if (auto st = checkSize(img.width(), img.height(), maxTextureSize); !st) return st;
  const IntegerFormat f = integerFormat(img.channels(), img.type());
  if (!m_texture) m_texture = Texture::create();
  glBindTexture(GL_TEXTURE_2D, m_texture.id());
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, img.buffer());
  if (m_width != img.width() || m_height != img.height() || m_internal != f.internal) {
    nearestNoMips();
    glTexImage2D(GL_TEXTURE_2D, 0, GLint(f.internal), img.width(), img.height(), 0, f.format, f.type, nullptr);
    m_width = img.width();
    m_height = img.height();
    m_internal = f.internal;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, img.width(), img.height(), f.format, f.type, nullptr);
  }
  glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
  return {};
}

Status IntegerTarget::ensure(int width, int height, core::SampleType type, int maxTextureSize) {
  if (auto st = checkSize(width, height, maxTextureSize); !st) return st;
  if (!m_vao) m_vao = VertexArray::create();
  if (m_texture && m_width == width && m_height == height && m_type == type) return {};
  m_texture = Texture::create();
  glBindTexture(GL_TEXTURE_2D, m_texture.id());
  nearestNoMips();
  const IntegerFormat f = integerFormat(4, type);
  glTexImage2D(GL_TEXTURE_2D, 0, GLint(f.internal), width, height, 0, f.format, f.type, nullptr);
  if (!m_fbo) m_fbo = Framebuffer::create();
  glBindFramebuffer(GL_FRAMEBUFFER, m_fbo.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, m_texture.id(), 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    m_texture.reset();
    return core::fail("the integer framebuffer is incomplete (status " + std::to_string(status) + ")");
  }
  m_width = width;
  m_height = height;
  m_type = type;
  return {};
}

void IntegerTarget::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, m_fbo.id());
  glViewport(0, 0, m_width, m_height);
}

void IntegerTarget::draw() const {
  glBindVertexArray(m_vao.id());
  glDrawArrays(GL_TRIANGLES, 0, 3);
}

void IntegerTarget::readInto(DeviceImage& dst) const {
  const IntegerFormat f = integerFormat(dst.channels(), dst.type());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, m_fbo.id());
  glReadBuffer(GL_COLOR_ATTACHMENT0);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, dst.buffer());
  glReadPixels(0, 0, dst.width(), dst.height(), f.format, f.type, nullptr);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
}

void RgbaTexture::ensure(int width, int height) {
  if (m_texture && m_width == width && m_height == height) return;
  m_texture = Texture::create();
  glBindTexture(GL_TEXTURE_2D, m_texture.id());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  m_fbo.reset();
  m_width = width;
  m_height = height;
}

GLuint RgbaTexture::framebuffer() {
  if (!m_fbo) {
    m_fbo = Framebuffer::create();
    glBindFramebuffer(GL_FRAMEBUFFER, m_fbo.id());
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, m_texture.id(), 0);
  }
  return m_fbo.id();
}

VertexArray& RgbaTexture::vertexArray() {
  if (!m_vao) m_vao = VertexArray::create();
  return m_vao;
}

Result<core::Image> RgbaTexture::read() const {
  if (!m_texture) return core::fail("the texture is empty");
  core::Image out = core::Image::make(m_width, m_height, 4, core::SampleType::U8);
  GLint align = 4;
  glGetIntegerv(GL_PACK_ALIGNMENT, &align);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glBindTexture(GL_TEXTURE_2D, m_texture.id());
  glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, out.u8.data());
  glPixelStorei(GL_PACK_ALIGNMENT, align);
  return out;
}

}  // namespace qviz::gpu
