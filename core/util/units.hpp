// Byte counts for messages: "512 bytes", "64 KiB", "1.5 GiB", "4 TiB" (binary units, at most one
// decimal, trailing ".0" dropped).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace qviz::core {

inline std::string formatBytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  double v = double(bytes) / 1024.0;
  int unit = 0;
  while (v >= 1024.0 && unit < 5) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s + " " + kUnits[unit];
}

}  // namespace qviz::core
