// SHA-256 (FIPS 180-4), incremental: the digests quantize-tensor writes into summary.json (of the
// input's float32 values, of blocks.bin, of the dequantized values), comparable with sha256sum and
// hashlib.sha256.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace qviz::core {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  // The digest of everything given so far; the object is then spent (reset() to start again).
  std::array<std::uint8_t, 32> digest();
  std::string hexDigest();  // 64 lowercase hex digits
  void reset();

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_{};
  std::array<std::uint8_t, 64> buf_{};
  std::size_t bufLen_ = 0;
  std::uint64_t total_ = 0;  // bytes
};

std::string sha256Hex(const void* data, std::size_t size);

}  // namespace qviz::core
