// libFuzzer harness for the GGUF reader (core::parseGguf, core::dequantizeGguf). An accepted file
// must describe itself consistently: the data section aligned and inside the file, every tensor's
// numpy shape the reverse of its ne and its element count their product, every supported tensor
// aligned, inside the data section, not overlapping another, and dequantizable (its values are
// read, and an unsupported one is refused). The input is parsed once more with a metadata memory
// limit of 4096 bytes: the same result, or a refusal naming that limit.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "tensor/gguf.hpp"

using namespace qviz::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = parseGguf(data, size);
  GgufLimits tight;
  tight.maxMetadataBytes = 4096;
  auto small = parseGguf(data, size, tight);
  if (!small) {
    FUZZ_CHECK(!small.error().empty());
    if (r) FUZZ_CHECK(small.error().find("memory limit of 4096 bytes") != std::string::npos);
  } else {
    FUZZ_CHECK(r.ok());
    FUZZ_CHECK(small->tensors.size() == r->tensors.size() && small->metadata.size() == r->metadata.size());
  }
  if (!r) {
    FUZZ_CHECK(!r.error().empty());
    return 0;
  }
  const GgufFile& f = *r;
  FUZZ_CHECK(f.version == 2 || f.version == 3);
  FUZZ_CHECK(f.alignment && (f.alignment & (f.alignment - 1)) == 0);
  FUZZ_CHECK(f.dataOffset % f.alignment == 0 && f.dataOffset <= size && f.fileSize == size);
  std::vector<float> out;
  for (std::size_t k = 0; k < f.tensors.size(); ++k) {
    const GgufTensorInfo& t = f.tensors[k];
    FUZZ_CHECK(!t.ne.empty() && t.ne.size() <= 4 && t.shape.size() == t.ne.size());
    std::uint64_t n = 1;
    for (std::size_t d = 0; d < t.ne.size(); ++d) {
      FUZZ_CHECK(t.shape[d] == t.ne[t.ne.size() - 1 - d]);
      n *= t.ne[d];  // cannot overflow: checked by the reader
    }
    FUZZ_CHECK(n == t.nElements);
    FUZZ_CHECK(t.offset % f.alignment == 0 && t.fileOffset == f.dataOffset + t.offset);
    FUZZ_CHECK(t.fileOffset <= size && t.nbytes <= size - t.fileOffset);
    FUZZ_CHECK(f.findTensor(t.name) == &t);
    if (!t.supported) {
      FUZZ_CHECK(!t.unsupportedReason.empty());
      FUZZ_CHECK(!dequantizeGguf(f, t, nullptr).ok());
      continue;
    }
    FUZZ_CHECK(t.nbytes > 0 || t.nElements == 0);
    for (std::size_t j = 0; j < k; ++j) {
      const GgufTensorInfo& o = f.tensors[j];
      if (o.supported && o.nbytes && t.nbytes) FUZZ_CHECK(t.offset + t.nbytes <= o.offset || o.offset + o.nbytes <= t.offset);
    }
    // The tensor's bytes lie in the input, so its values are bounded by what the input holds.
    out.assign(std::size_t(t.nElements), 0.0f);
    FUZZ_CHECK(dequantizeGguf(f, t, out.data()).ok());
  }
  for (const GgufKeyValue& kv : f.metadata) FUZZ_CHECK(f.find(kv.key) == &kv);
  return 0;
}
