// Test helper shared by the GPU and UI suites: write a file and move its mtime a second past the
// previous one, so a poll of nanosecond mtimes and sizes sees the change whatever the clock's grain.
#pragma once
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace qviz::test {

inline void writeBumped(const std::filesystem::path& p, const std::string& text) {
  namespace fs = std::filesystem;
  const bool existed = fs::exists(p);
  const auto before = existed ? fs::last_write_time(p) : fs::file_time_type{};
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  if (existed) fs::last_write_time(p, std::max(fs::last_write_time(p), before + std::chrono::seconds(1)));
}

}  // namespace qviz::test
