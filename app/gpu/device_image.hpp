// DeviceImage: an 8- or 16-bit core::Image living in a GL buffer, its samples packed exactly as in
// core::Image (interleaved, little-endian, padded to whole 16-byte vectors). Compute kernels read and
// write it as an SSBO; the fragment path turns it into an integer texture through a pixel-unpack
// buffer and reads its framebuffer back into one. Upload and download are the only CPU copies.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gpu/gl_objects.hpp"
#include "image/image.hpp"
#include "util/result.hpp"

namespace qviz::gpu {

using core::Result;
using core::Status;

class DeviceImage {
public:
  DeviceImage() = default;
  DeviceImage(DeviceImage&&) noexcept = default;
  DeviceImage& operator=(DeviceImage&&) noexcept = default;

  // (Re)allocates for this shape; the buffer is reused when it is large enough. Contents undefined.
  Status allocate(int width, int height, int channels, core::SampleType type);
  // allocate() for the image's shape, then copies its samples in.
  Status upload(const core::Image& img);
  // Copies the samples back (waits for the GPU). `out` is resized to this shape.
  Status download(core::Image& out) const;
  Result<core::Image> download() const;

  bool empty() const { return m_width <= 0; }
  int width() const { return m_width; }
  int height() const { return m_height; }
  int channels() const { return m_channels; }
  core::SampleType type() const { return m_type; }
  int colorChannels() const { return (m_channels == 2 || m_channels == 4) ? m_channels - 1 : m_channels; }
  int bitDepth() const { return m_type == core::SampleType::U16 ? 16 : 8; }
  std::uint32_t vmax() const { return m_type == core::SampleType::U16 ? 65535u : 255u; }
  std::size_t pixelCount() const { return std::size_t(m_width) * std::size_t(m_height); }
  std::size_t sampleCount() const { return pixelCount() * std::size_t(m_channels); }
  std::size_t byteSize() const { return sampleCount() * (m_type == core::SampleType::U16 ? 2u : 1u); }
  std::size_t wordCount() const { return (byteSize() + 3) / 4; }
  std::size_t vectorCount() const { return (byteSize() + 15) / 16; }  // uvec4s (the buffer holds whole ones)
  bool sameShape(const DeviceImage& o) const {
    return m_width == o.m_width && m_height == o.m_height && m_channels == o.m_channels && m_type == o.m_type;
  }
  // A core::Image with this shape and no samples (for shape checks such as core::validateUniform).
  core::Image shape() const;
  GLuint buffer() const { return m_buffer.id(); }

private:
  Buffer m_buffer;
  std::size_t m_capacity = 0;  // bytes allocated in m_buffer
  int m_width = 0, m_height = 0, m_channels = 0;
  core::SampleType m_type = core::SampleType::U8;
};

}  // namespace qviz::gpu
