// libFuzzer harness for the .safetensors reader. Each input is tried two ways: as a whole file
// (8-byte header length, JSON header, data: core::parseSafetensor) and as the JSON header alone,
// followed by a 4096-byte data section (core::parseSafetensorsHeader, then the built file).
// Every listed tensor must lie inside the data section without overlaps, match its shape, and
// load with exactly its bytes. The table is listed in name order, each name once. The header is
// also parsed with a table budget of 2048 bytes (the budget path of the SAX table): it gives the
// same table, or refuses with the budget's message; and the whole file is read once more through
// TensorSource (a memfd), which must agree with parseSafetensor value for value.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "tensor/safetensors.hpp"
#include "tensor/source.hpp"

using namespace qviz::core;

namespace {

std::size_t itemSize(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  return 1;
}

void checkIndex(const SafetensorsIndex& index, std::uint64_t dataBytes) {
  FUZZ_CHECK(index.dataBytes == dataBytes);
  for (std::size_t i = 1; i < index.tensors.size(); ++i) FUZZ_CHECK(index.tensors[i - 1].name < index.tensors[i].name);
  for (std::size_t i = 0; i < index.tensors.size(); ++i) {
    const SafetensorsEntry& e = index.tensors[i];
    FUZZ_CHECK(e.begin <= e.end && e.end <= dataBytes);
    FUZZ_CHECK(e.shape.size() <= 64);
    std::uint64_t count = 1;
    for (std::size_t d : e.shape) count *= d;  // cannot overflow: the bytes were checked
    FUZZ_CHECK(count * itemSize(e.dtype) == e.end - e.begin);
    FUZZ_CHECK(e.supported == (e.dtype == "F32" || e.dtype == "F16" || e.dtype == "BF16"));
    for (std::size_t j = 0; j < i; ++j) {
      const SafetensorsEntry& o = index.tensors[j];
      if (e.begin < e.end && o.begin < o.end) FUZZ_CHECK(e.end <= o.begin || o.end <= e.begin);
    }
  }
}

// Loads every listed tensor (at most 16) from the whole file and checks it against the index.
void loadAll(const std::uint8_t* file, std::size_t size, const SafetensorsIndex& index) {
  const std::size_t dataStart = 8 + std::size_t(index.headerBytes);
  for (std::size_t i = 0; i < index.tensors.size() && i < 16; ++i) {
    const SafetensorsEntry& e = index.tensors[i];
    auto t = parseSafetensor(file, size, e.name);
    const SafetensorsEntry* first = index.find(e.name);
    FUZZ_CHECK(first == &e);  // a name appears once: repeated keys are refused
    if (!first->supported) {
      FUZZ_CHECK(!t.ok());
      continue;
    }
    FUZZ_CHECK(t.ok());
    FUZZ_CHECK(t->shape == first->shape);
    FUZZ_CHECK(t->bytes.size() == first->end - first->begin);
    FUZZ_CHECK(t->bytes.size() == t->count() * dtypeSize(t->dtype));
    if (!t->bytes.empty())
      FUZZ_CHECK(std::memcmp(t->bytes.data(), file + dataStart + first->begin, t->bytes.size()) == 0);
    FUZZ_CHECK(toFloat32(*t).size() == t->count());
  }
  FUZZ_CHECK(!parseSafetensor(file, size, std::string("\x01no such tensor")).ok());

  // The same file through TensorSource (the streaming reader of quantize-tensor).
  const int fd = ::memfd_create("fuzz", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, file, size) == ssize_t(size));
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  for (std::size_t i = 0; i < index.tensors.size() && i < 4; ++i) {
    const SafetensorsEntry& e = index.tensors[i];
    auto src = TensorSource::openSafetensor(path, e.name);
    FUZZ_CHECK(src.ok() == e.supported);
    if (!src) continue;
    auto t = parseSafetensor(file, size, e.name);
    FUZZ_CHECK(t.ok());
    const std::vector<float> want = toFloat32(*t);
    std::vector<float> got(src->count());
    FUZZ_CHECK(src->count() == want.size());
    FUZZ_CHECK(src->readFloats(0, got.size(), got.data()).ok());
    if (!got.empty()) FUZZ_CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    FUZZ_CHECK(!src->readFloats(got.size(), 1, got.data()).ok());
  }
  ::close(fd);
}

// Nesting depth of the JSON text (brackets outside strings): an accepted header is at most 4 deep.
std::size_t jsonDepth(const std::uint8_t* p, std::size_t n) {
  std::size_t depth = 0, most = 0;
  bool inString = false;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = char(p[i]);
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      most = std::max(most, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return most;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 1. The input as a whole file.
  if (size >= 8) {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | data[i];
    if (n <= size - 8) {
      auto index = parseSafetensorsHeader(reinterpret_cast<const char*>(data + 8), std::size_t(n), size - 8 - n);
      if (index) {
        index->headerBytes = n;
        checkIndex(*index, size - 8 - n);
        loadAll(data, size, *index);
      }
    } else {
      FUZZ_CHECK(!parseSafetensor(data, size, "x").ok());
    }
  }

  // 2. The input as the JSON header of a file with a 4096-byte data section.
  constexpr std::uint64_t kData = 4096;
  auto index = parseSafetensorsHeader(reinterpret_cast<const char*>(data), size, kData);
  auto small = parseSafetensorsHeader(reinterpret_cast<const char*>(data), size, kData, "safetensors header", 2048);
  if (!small) {
    const bool overBudget = small.error().find("table budget of 2048 bytes") != std::string::npos;
    FUZZ_CHECK(overBudget || !index);
    if (index) FUZZ_CHECK(overBudget);
  } else {
    FUZZ_CHECK(index.ok());
    FUZZ_CHECK(small->tensors.size() == index->tensors.size());
    for (std::size_t i = 0; i < small->tensors.size(); ++i) FUZZ_CHECK(small->tensors[i].name == index->tensors[i].name);
  }
  if (!index) return 0;
  FUZZ_CHECK(jsonDepth(data, size) <= 4);
  checkIndex(*index, kData);
  std::vector<std::uint8_t> file(8 + size + kData);
  for (int i = 0; i < 8; ++i) file[std::size_t(i)] = std::uint8_t(std::uint64_t(size) >> (8 * i));
  if (size) std::memcpy(file.data() + 8, data, size);
  for (std::size_t i = 0; i < kData; ++i) file[8 + size + i] = std::uint8_t(i * 37 + 11);
  index->headerBytes = size;
  loadAll(file.data(), file.size(), *index);
  return 0;
}
