// TensorSource: element ranges of a tensor read with pread (see source.hpp). The openers live
// beside the readers whose checks they share (npy.cpp, safetensors.cpp).
#include "tensor/source.hpp"

#include <unistd.h>

#include <cstring>
#include <utility>

#include "util/fs.hpp"

namespace qviz::core {

TensorSource::TensorSource(int fd, DType dtype, std::vector<std::size_t> shape, std::uint64_t dataOffset,
                           std::string changed)
    : m_fd(fd), m_dtype(dtype), m_shape(std::move(shape)), m_offset(dataOffset), m_changed(std::move(changed)) {
  m_count = 1;
  for (std::size_t d : m_shape) m_count *= d;  // checked against the budget by the opener
}

TensorSource::TensorSource(TensorSource&& o) noexcept { *this = std::move(o); }

TensorSource& TensorSource::operator=(TensorSource&& o) noexcept {
  if (this != &o) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(o.m_fd, -1);
    m_dtype = o.m_dtype;
    m_shape = std::move(o.m_shape);
    m_count = o.m_count;
    m_offset = o.m_offset;
    m_changed = std::move(o.m_changed);
    m_raw = std::move(o.m_raw);
  }
  return *this;
}

TensorSource::~TensorSource() {
  if (m_fd >= 0) ::close(m_fd);
}

Status TensorSource::readFloats(std::size_t first, std::size_t n, float* out) {
  if (first > m_count || n > m_count - first) return fail("element range outside the tensor");
  if (n == 0) return {};
  const std::size_t item = dtypeSize(m_dtype);
  const std::uint64_t at = m_offset + std::uint64_t(first) * item;
  if (m_dtype == DType::F32) {
    if (!readAt(m_fd, out, n * 4, at)) return fail(m_changed);
    return {};
  }
  m_raw.resize(n * item);
  if (!readAt(m_fd, m_raw.data(), m_raw.size(), at)) return fail(m_changed);
  toFloat32(m_dtype, m_raw.data(), n, out);
  return {};
}

}  // namespace qviz::core
