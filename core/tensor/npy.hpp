// NumPy .npy read and write (format versions 1.0, 2.0 and 3.0). Reads little-endian float32,
// float16, uint8 and int8 arrays in C order, of any shape; refuses Fortran order, big-endian,
// object and structured arrays and every other dtype with a clear message instead of misreading.
// A header declaring more than the memory budget (or a shape whose size overflows) is refused
// before the data is read or anything is allocated for it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"
#include "util/result.hpp"

namespace qviz::core {

struct NpyLimits {
  std::uint64_t maxFileBytes = 4ull << 30;   // 4 GiB on disk
  std::size_t maxHeaderBytes = 1u << 20;     // numpy itself caps headers far below this
  std::uint64_t maxTensorBytes = kTensorBudgetBytes;  // what the header may declare
};

// Parses an in-memory .npy file; `name` only appears in messages.
Result<Tensor> parseNpy(const std::uint8_t* data, std::size_t size, const std::string& name = "npy data",
                        const NpyLimits& limits = {});
Result<Tensor> readNpy(const std::string& path, const NpyLimits& limits = {});

// Encodes as version 1.0 (2.0 when the header needs more than 65535 bytes); the header is
// padded with spaces so the data starts at a multiple of 64 bytes. BF16 has no numpy dtype and
// is refused.
Result<std::vector<std::uint8_t>> encodeNpy(const Tensor& t);
// The header alone (prefix, dict, padding), for writers that stream the data after it.
Result<std::vector<std::uint8_t>> npyHeader(DType dtype, const std::vector<std::size_t>& shape);
// Atomic write (writeFileAtomic).
Status writeNpy(const std::string& path, const Tensor& t);

}  // namespace qviz::core
