// File helpers that never leave a half-written file: write to a temporary file in the target's
// folder, flush it to disk, then rename over the target. Also: whole-file reads with a size cap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace qviz::core {

// Writes `size` bytes atomically to `path`. On any failure the previous file (if any) is intact
// and the temporary file is removed.
Status writeFileAtomic(const std::string& path, const void* data, std::size_t size);
inline Status writeFileAtomic(const std::string& path, const std::string& text) {
  return writeFileAtomic(path, text.data(), text.size());
}

// Reads a whole regular file; refuses files larger than maxBytes before reading them.
Result<std::vector<std::uint8_t>> readFile(const std::string& path, std::uint64_t maxBytes);
// Reads exactly n bytes at `offset` of an open file (pread, retried on EINTR and short reads);
// false on an error or an early end of file.
bool readAt(int fd, void* buf, std::size_t n, std::uint64_t offset);

// True when a and b name the same existing file, or the same path once normalised.
bool samePath(const std::string& a, const std::string& b);

}  // namespace qviz::core
