// GGUF reading (v2 and v3, little-endian): the header, the metadata (every value type, arrays
// nested up to kGgufMaxDepth), the tensor infos, and one tensor dequantized to float32. The file is
// mapped read-only, never copied; every count, length, offset and size is checked against the bytes
// that are left before it is used (overflow-safe), and a refusal names what is wrong and at which
// byte offset. Layout: the reference FORMATS.md §8 ("GGUF test files").
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quant/format_table.hpp"
#include "util/result.hpp"

namespace qviz::core {

enum class GgufValueType : std::uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9,
  U64 = 10, I64 = 11, F64 = 12,
};
const char* ggufValueTypeName(GgufValueType t);  // "uint8", ..., "array"

constexpr int kGgufMaxDepth = 8;  // an array of arrays of ... at most this many levels

struct GgufLimits {
  std::uint64_t maxKeyValues = 1u << 20;            // KV pairs
  std::uint64_t maxTensors = 1u << 20;              // tensor infos
  std::uint64_t maxStringBytes = 64ull << 20;       // one string value (keys and names: 64 KiB)
  std::uint64_t maxMetadataBytes = 512ull << 20;    // what the parsed metadata may hold in memory
};

// One metadata value. Integers are kept as u (unsigned types, bool) or i (signed types), floats
// as f; arrays of scalars keep their elements' little-endian bytes (raw), arrays of strings and
// arrays of arrays their elements as values (items).
struct GgufValue {
  GgufValueType type = GgufValueType::U8;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  double f = 0;
  std::string str;
  GgufValueType elementType = GgufValueType::U8;  // arrays
  std::uint64_t count = 0;                        // arrays: the number of elements
  std::vector<std::uint8_t> raw;                  // arrays of scalars: count * element size bytes
  std::vector<GgufValue> items;                   // arrays of strings or of arrays

  bool isArray() const { return type == GgufValueType::Array; }
  // Element k of an array of scalars as a double / an integer (false: not such an array, or k out of range).
  bool scalarAt(std::uint64_t k, double& out) const;
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
  std::uint64_t fileOffset = 0;  // where the key starts
};

struct GgufTensorInfo {
  std::string name;
  std::vector<std::uint64_t> ne;     // as stored: ne[0] is the fastest-varying axis
  std::vector<std::size_t> shape;    // numpy order: ne reversed
  std::uint32_t ggmlType = 0;
  std::string typeName;              // "Q4_K", "F16", or "type 99" when the id is unknown
  bool supported = false;            // dequantizeGguf can read it
  std::string unsupportedReason;     // when not supported
  TensorFormat format{};             // quantized types: the core format of its blocks
  bool quantized = false;
  std::uint64_t nElements = 0;
  std::uint64_t offset = 0;          // relative to the data section
  std::uint64_t fileOffset = 0;      // dataOffset + offset
  std::uint64_t nbytes = 0;          // 0 when the type's size is unknown (unsupported)
  std::uint64_t infoOffset = 0;      // where the tensor's info starts in the file
};

struct GgufFile {
  std::string path;  // as given ("(memory)" for parseGguf)
  std::uint32_t version = 0;
  std::uint64_t alignment = 32;
  std::uint64_t dataOffset = 0;  // the data section's first byte
  std::uint64_t fileSize = 0;
  std::vector<GgufKeyValue> metadata;  // in file order
  std::vector<GgufTensorInfo> tensors;  // in file order

  const GgufKeyValue* find(const std::string& key) const;
  const GgufTensorInfo* findTensor(const std::string& name) const;
  // The tensor's bytes in the file (nullptr when its size is unknown).
  const std::uint8_t* tensorBytes(const GgufTensorInfo& t) const;

  const std::uint8_t* data = nullptr;  // the whole file (mapped, or the caller's buffer)
  std::shared_ptr<const void> keep;    // the mapping (openGguf)
};

// The ggml type's name ("Q4_K"), or nullptr for an id this reader does not know.
const char* ggmlTypeName(std::uint32_t id);

// Maps `path` read-only and parses it (regular files only: FIFOs, devices and folders are refused).
Result<GgufFile> openGguf(const std::string& path, const GgufLimits& limits = {});
// Parses a file held in memory; `data` must outlive the result (tests, fuzzing).
Result<GgufFile> parseGguf(const std::uint8_t* data, std::size_t size, const GgufLimits& limits = {},
                           const std::string& name = "(memory)");
// Dequantizes one tensor into out[0 .. t.nElements): F32 copied, F16/BF16 widened exactly,
// quantized types through their raw block codec. Unsupported types are refused, never guessed.
Status dequantizeGguf(const GgufFile& file, const GgufTensorInfo& t, float* out);

}  // namespace qviz::core
