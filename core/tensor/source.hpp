// A tensor read from its file piece by piece (quantize-tensor streams through one): opening checks
// the header exactly as readNpy / loadSafetensor do (the file size against the header, the memory
// budget of what it declares, a regular file), then readFloats reads any element range with pread
// into the caller's buffer, so no copy of the whole tensor is ever made. The file is read with
// pread rather than mapped: a file truncated under a mapping ends the reader with SIGBUS, whereas
// a short pread is reported as "the file changed while reading".
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"
#include "tensor/tensor.hpp"
#include "util/result.hpp"

namespace qviz::core {

class TensorSource {
public:
  static Result<TensorSource> openNpy(const std::string& path, const NpyLimits& limits = {});
  static Result<TensorSource> openSafetensor(const std::string& path, const std::string& tensorName,
                                             const SafetensorsLimits& limits = {});
  TensorSource() = default;
  TensorSource(TensorSource&& o) noexcept;
  TensorSource& operator=(TensorSource&& o) noexcept;
  TensorSource(const TensorSource&) = delete;
  TensorSource& operator=(const TensorSource&) = delete;
  ~TensorSource();

  DType dtype() const { return m_dtype; }
  const std::vector<std::size_t>& shape() const { return m_shape; }
  std::size_t count() const { return m_count; }
  // Elements [first, first + n) as float32 (float16 and bfloat16 widened exactly, as toFloat32).
  Status readFloats(std::size_t first, std::size_t n, float* out);

  // (The openers fill these.)
  TensorSource(int fd, DType dtype, std::vector<std::size_t> shape, std::uint64_t dataOffset, std::string changed);

private:
  int m_fd = -1;
  DType m_dtype = DType::F32;
  std::vector<std::size_t> m_shape;
  std::size_t m_count = 0;
  std::uint64_t m_offset = 0;  // of element 0 in the file
  std::string m_changed;       // the message for a short read
  std::vector<std::uint8_t> m_raw;
};

}  // namespace qviz::core
