// File helpers shared by the test suites: scratch folders, a file whose mtime moves forward, a
// tiny tmpfs (full and read-only file systems), and a .npy header with no data behind it.
#pragma once
#include <unistd.h>
#if defined(__linux__)
#include <sys/mount.h>
#endif

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace qviz::test {

// An empty folder TMP/PREFIX_PID_NAME (emptied first when it exists).
inline std::string scratchDir(const std::string& prefix, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path p = fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

// Writes a file and moves its mtime a second past the previous one, so a poll of nanosecond
// mtimes and sizes sees the change whatever the clock's grain.
inline void writeBumped(const std::filesystem::path& p, const std::string& text) {
  namespace fs = std::filesystem;
  const bool existed = fs::exists(p);
  const auto before = existed ? fs::last_write_time(p) : fs::file_time_type{};
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  if (existed) fs::last_write_time(p, std::max(fs::last_write_time(p), before + std::chrono::seconds(1)));
}

// A 64 KiB tmpfs on `dir` for one test (root on Linux); `mounted` says whether it worked.
struct SmallTmpfs {
  std::string dir;
  bool mounted = false;
  explicit SmallTmpfs(std::string d) : dir(std::move(d)) {
    std::filesystem::create_directories(dir);
#if defined(__linux__)
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k,mode=0755") == 0;
#endif
  }
  bool remountReadOnly() {
#if defined(__linux__)
    return ::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64k,mode=0755") == 0;
#else
    return false;
#endif
  }
  ~SmallTmpfs() {
#if defined(__linux__)
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
#endif
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
};

// A version 1.0 .npy header for float32 data of `shape` (a Python tuple), with no data after it.
inline std::string npyHeaderOnly(const std::string& shape) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header;
}

}  // namespace qviz::test
