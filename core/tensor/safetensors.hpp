// .safetensors reading: list the tensors (name, dtype, shape) and load one as float32. The
// 8-byte header length and every offset are validated against the file size before anything
// is allocated or read, so a hostile header cannot make the reader allocate or read out of bounds.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"
#include "util/result.hpp"

namespace qviz::core {

// What the header's table may be charged while it is parsed (see safetensors.cpp): every key of
// the header, 256 bytes plus its length at the top level, 64 plus its length below.
constexpr std::uint64_t kSafetensorsTableBudget = 64ull << 20;

struct SafetensorsLimits {
  std::uint64_t maxHeaderBytes = 100ull << 20;  // the format's own limit (100 MB)
  std::uint64_t maxTableBytes = kSafetensorsTableBudget;
  std::uint64_t maxTensorBytes = kTensorBudgetBytes;  // one loaded tensor (the memory budget)
};

struct SafetensorsEntry {
  std::string name;
  std::string dtype;                 // as written: "F32", "F16", "BF16", "I64", ...
  bool supported = false;            // F32, F16 or BF16: loadable
  DType type = DType::F32;           // valid when supported
  std::vector<std::size_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

struct SafetensorsIndex {
  std::uint64_t headerBytes = 0;  // N, the JSON header length
  std::uint64_t dataBytes = 0;    // file size - 8 - N
  std::vector<SafetensorsEntry> tensors;  // in name order (byte-wise)
  const SafetensorsEntry* find(const std::string& name) const;
};

// Validates a header (the JSON text) against the size of the data section that follows it.
Result<SafetensorsIndex> parseSafetensorsHeader(const char* json, std::size_t size, std::uint64_t dataBytes,
                                                const std::string& name = "safetensors header",
                                                std::uint64_t tableBudget = kSafetensorsTableBudget);
// Reads only the header of a file.
Result<SafetensorsIndex> listSafetensors(const std::string& path, const SafetensorsLimits& limits = {});
// Loads one tensor (F32, F16 or BF16) in its own dtype; toFloat32 widens it.
Result<Tensor> loadSafetensor(const std::string& path, const std::string& tensorName,
                              const SafetensorsLimits& limits = {});
// The same from an in-memory file (tests, fuzzing).
Result<Tensor> parseSafetensor(const std::uint8_t* data, std::size_t size, const std::string& tensorName,
                               const SafetensorsLimits& limits = {});

}  // namespace qviz::core
