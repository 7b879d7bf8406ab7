// GL texture wrapper for the UI (main thread only).
#include "ui/texture.hpp"

#include <glad/gl.h>

#include <utility>
#include <vector>

namespace qviz::ui {

DisplayTexture::~DisplayTexture() { reset(); }
DisplayTexture::DisplayTexture(DisplayTexture&& o) noexcept
    : m_id(std::exchange(o.m_id, 0)),
      m_width(std::exchange(o.m_width, 0)),
      m_height(std::exchange(o.m_height, 0)),
      m_format(std::exchange(o.m_format, 0u)) {}
DisplayTexture& DisplayTexture::operator=(DisplayTexture&& o) noexcept {
  if (this != &o) {
    reset();
    m_id = std::exchange(o.m_id, 0);
    m_width = std::exchange(o.m_width, 0);
    m_height = std::exchange(o.m_height, 0);
    m_format = std::exchange(o.m_format, 0u);
  }
  return *this;
}

void DisplayTexture::reset() {
  if (m_id) glDeleteTextures(1, &m_id);
  m_id = 0;
  m_width = m_height = 0;
  m_format = 0;
}

std::vector<std::uint8_t> toDisplayRgba8(const core::Image& img) {
  std::vector<std::uint8_t> rgba(img.pixelCount() * 4);
  if (img.type == core::SampleType::U8 && img.channels >= 3) {
    // The common case, without per-sample type dispatch.
    const std::uint8_t* s = img.u8.data();
    const std::size_t ch = std::size_t(img.channels);
    for (std::size_t p = 0; p < img.pixelCount(); ++p) {
      rgba[p * 4] = s[p * ch];
      rgba[p * 4 + 1] = s[p * ch + 1];
      rgba[p * 4 + 2] = s[p * ch + 2];
      rgba[p * 4 + 3] = ch == 4 ? s[p * ch + 3] : 255;
    }
    return rgba;
  }
  const unsigned shift = img.type == core::SampleType::U16 ? 8 : 0;
  const std::size_t ch = std::size_t(img.channels);
  for (std::size_t p = 0; p < img.pixelCount(); ++p) {
    const std::size_t s = p * ch;
    std::uint8_t* d = rgba.data() + p * 4;
    if (ch <= 2) {
      d[0] = d[1] = d[2] = std::uint8_t(img.sample(s) >> shift);
      d[3] = ch == 2 ? std::uint8_t(img.sample(s + 1) >> shift) : std::uint8_t(255);
    } else {
      for (std::size_t c = 0; c < 3; ++c) d[c] = std::uint8_t(img.sample(s + c) >> shift);
      d[3] = ch == 4 ? std::uint8_t(img.sample(s + 3) >> shift) : std::uint8_t(255);
    }
  }
  return rgba;
}

void DisplayTexture::uploadRgba8(const std::uint8_t* rgba, int width, int height) {
  if (!m_id) glGenTextures(1, &m_id);
  glBindTexture(GL_TEXTURE_2D, m_id);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  if (width != m_width || height != m_height || m_format != GL_RGBA) {
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    const GLint swizzle[4] = {GL_RED, GL_GREEN, GL_BLUE, GL_ALPHA};
    glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, swizzle);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    m_width = width;
    m_height = height;
    m_format = GL_RGBA;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  }
}

void DisplayTexture::upload(const core::Image& img) {
  // Nothing to show (e.g. a comparison that failed): drop the texture rather than hand GL a shape
  // it rejects.
  if (img.empty() || img.channels < 1 || img.channels > 4 || img.byteSize() == 0) {
    if (m_id) glDeleteTextures(1, &m_id);
    m_id = 0;
    m_width = m_height = 0;
    m_format = 0;
    return;
  }
  // 8-bit RGB and RGBA go up as they are; gray is swizzled to RGB by the texture itself.
  if (img.type == core::SampleType::U8 && img.channels != 2) {
    static constexpr GLenum kFormats[5] = {0, GL_RED, 0, GL_RGB, GL_RGBA};
    const GLenum format = kFormats[img.channels];
    if (!m_id) glGenTextures(1, &m_id);
    glBindTexture(GL_TEXTURE_2D, m_id);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (img.width != m_width || img.height != m_height || format != m_format) {
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
      const GLint gray[4] = {GL_RED, GL_RED, GL_RED, GL_ONE};
      const GLint rgba[4] = {GL_RED, GL_GREEN, GL_BLUE, GL_ALPHA};
      glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, format == GL_RED ? gray : rgba);
      glTexImage2D(GL_TEXTURE_2D, 0, format == GL_RGBA ? GL_RGBA8 : format == GL_RGB ? GL_RGB8 : GL_R8, img.width,
                   img.height, 0, format, GL_UNSIGNED_BYTE, img.u8.data());
      m_width = img.width;
      m_height = img.height;
      m_format = format;
    } else {
      glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, img.width, img.height, format, GL_UNSIGNED_BYTE, img.u8.data());
    }
    return;
  }
  const auto rgba = toDisplayRgba8(img);
  uploadRgba8(rgba.data(), img.width, img.height);
}

}  // namespace qviz::ui
