// DisplayTexture: the UI's move-only RGBA8 GL texture that any core::Image is uploaded into for
// display (16-bit samples shown by their high byte, gray replicated, nearest filtering for crisp
// zoom). Not gpu::Texture, the GPU layer's plain RAII texture handle.
#pragma once
#include <cstdint>

#include "image/image.hpp"

namespace qviz::ui {

// A texture to draw: any GL texture with its size (ours, or one the GPU layer owns).
struct TexRef {
  unsigned id = 0;
  int width = 0, height = 0;
  bool valid() const { return id != 0; }
};

class DisplayTexture {
public:
  DisplayTexture() = default;
  ~DisplayTexture();
  DisplayTexture(DisplayTexture&& o) noexcept;
  DisplayTexture& operator=(DisplayTexture&& o) noexcept;
  DisplayTexture(const DisplayTexture&) = delete;
  DisplayTexture& operator=(const DisplayTexture&) = delete;

  // Uploads the image (any layout) as RGBA8, reallocating only when the size changes.
  void upload(const core::Image& img);
  void uploadRgba8(const std::uint8_t* rgba, int width, int height);
  unsigned id() const { return m_id; }
  int width() const { return m_width; }
  int height() const { return m_height; }
  bool valid() const { return m_id != 0; }
  TexRef ref() const { return TexRef{m_id, m_width, m_height}; }
  void reset();

private:
  unsigned m_id = 0;
  int m_width = 0, m_height = 0;
  unsigned m_format = 0;  // GL pixel format of the last full upload
};

// The RGBA8 bytes upload() sends (exposed for tests and PNG export).
std::vector<std::uint8_t> toDisplayRgba8(const core::Image& img);

}  // namespace qviz::ui
