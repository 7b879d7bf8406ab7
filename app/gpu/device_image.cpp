// DeviceImage: buffer allocation, upload and download.
#include "gpu/device_image.hpp"

namespace qviz::gpu {

Status DeviceImage::allocate(int width, int height, int channels, core::SampleType type) {
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
    return core::fail("a GPU image needs a positive size and 1 to 4 channels");
  if (type == core::SampleType::F32) return core::fail("the GPU image kernels take 8- and 16-bit images only");
  // Kernels index samples with 32-bit unsigned integers: stay well inside that.
  const std::uint64_t samples = std::uint64_t(width) * std::uint64_t(height) * std::uint64_t(channels);
  if (samples >= (std::uint64_t(1) << 31)) return core::fail("the image is too large for the GPU kernels (2^31 samples)");
  m_width = width;
  m_height = height;
  m_channels = channels;
  m_type = type;
  // Whole 16-byte vectors: kernels may read and write uvec4s; the padding is never downloaded.
  const std::size_t bytes = (byteSize() + 15) / 16 * 16;
  if (!m_buffer) m_buffer = Buffer::create();
  if (bytes > m_capacity) {
    glBindBuffer(GL_COPY_WRITE_BUFFER, m_buffer.id());
    glBufferData(GL_COPY_WRITE_BUFFER, GLsizeiptr(bytes), nullptr, GL_DYNAMIC_COPY);
    glBindBuffer(GL_COPY_WRITE_BUFFER, 0);
    m_capacity = bytes;
  }
  return {};
}

Status DeviceImage::upload(const core::Image& img) {
  if (auto st = allocate(img.width, img.height, img.channels, img.type); !st) return st;
  const void* data = img.type == core::SampleType::U8 ? static_cast<const void*>(img.u8.data())
                                                      : static_cast<const void*>(img.u16.data());
  glBindBuffer(GL_COPY_WRITE_BUFFER, m_buffer.id());
  glBufferSubData(GL_COPY_WRITE_BUFFER, 0, GLsizeiptr(byteSize()), data);
  glBindBuffer(GL_COPY_WRITE_BUFFER, 0);
  return {};
}

Status DeviceImage::download(core::Image& out) const {
  if (empty()) return core::fail("the GPU image is empty");
  const std::size_t have = m_type == core::SampleType::U8 ? out.u8.size() : out.u16.size();
  if (!out.sameShape(shape()) || have != sampleCount())
    out = core::Image::make(m_width, m_height, m_channels, m_type);
  void* data = m_type == core::SampleType::U8 ? static_cast<void*>(out.u8.data()) : static_cast<void*>(out.u16.data());
  glBindBuffer(GL_COPY_READ_BUFFER, m_buffer.id());
  glGetBufferSubData(GL_COPY_READ_BUFFER, 0, GLsizeiptr(byteSize()), data);
  glBindBuffer(GL_COPY_READ_BUFFER, 0);
  return {};
}

Result<core::Image> DeviceImage::download() const {
  core::Image out;
  if (auto st = download(out); !st) return core::fail(st.error());
  return out;
}

core::Image DeviceImage::shape() const {
  core::Image s;
  s.width = m_width;
  s.height = m_height;
  s.channels = m_channels;
  s.type = m_type;
  return s;
}

}  // namespace qviz::gpu
