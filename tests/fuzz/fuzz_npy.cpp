// libFuzzer harness for the .npy reader (core::parseNpy): header dict, dtype, shape and data size.
// A parsed tensor must hold exactly count * itemsize bytes and survive an encode/parse round trip.
// The same bytes as a file (a memfd) through TensorSource::openNpy (quantize-tensor's streaming
// reader, the same header and file-size checks): accepted exactly when parseNpy accepts, with the
// same values, read in two ranges.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <vector>
#include <cstdint>
#include <limits>
#include <string>

#include "fuzz_check.hpp"
#include "tensor/npy.hpp"
#include "tensor/source.hpp"

using namespace qviz::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto t = parseNpy(data, size, "fuzz");
  const int fd = ::memfd_create("fuzz", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, data, size) == ssize_t(size));
  auto src = TensorSource::openNpy("/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
  FUZZ_CHECK(src.ok() == t.ok());
  if (!t) {
    FUZZ_CHECK(!t.error().empty());
    return 0;
  }
  {
    FUZZ_CHECK(src->dtype() == t->dtype && src->shape() == t->shape && src->count() == t->count());
    const std::vector<float> want = toFloat32(*t);
    std::vector<float> got(want.size());
    const std::size_t half = got.size() / 2;
    FUZZ_CHECK(src->readFloats(0, half, got.data()).ok());
    FUZZ_CHECK(src->readFloats(half, got.size() - half, got.data() + half).ok());
    if (!got.empty()) FUZZ_CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    FUZZ_CHECK(!src->readFloats(got.size(), 1, got.data()).ok());
  }
  FUZZ_CHECK(t->dtype != DType::BF16);  // numpy has no bfloat16
  FUZZ_CHECK(t->shape.size() <= 64);
  // numpy's rule, zero-size shapes too: the item size times the non-zero dimensions fits in intp.
  unsigned __int128 nonZeroBytes = dtypeSize(t->dtype);
  for (std::size_t d : t->shape)
    if (d != 0 && nonZeroBytes <= static_cast<unsigned __int128>(INT64_MAX)) nonZeroBytes *= d;
  FUZZ_CHECK(nonZeroBytes <= static_cast<unsigned __int128>(INT64_MAX));
  const std::size_t count = t->count();
  FUZZ_CHECK(t->bytes.size() == count * dtypeSize(t->dtype));
  FUZZ_CHECK(t->bytes.size() <= size);
  FUZZ_CHECK(toFloat32(*t).size() == count);

  auto encoded = encodeNpy(*t);
  FUZZ_CHECK(encoded.ok());
  auto again = parseNpy(encoded->data(), encoded->size(), "round trip");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->dtype == t->dtype && again->shape == t->shape && again->bytes == t->bytes);
  return 0;
}
