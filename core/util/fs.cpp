// Atomic writes (mkstemp + fsync + rename) and capped reads.
#include "util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace qviz::core {
namespace fs = std::filesystem;

Status writeFileAtomic(const std::string& path, const void* data, std::size_t size) {
  if (path.empty()) return fail("no output path given");
  std::error_code ec;
  // A symbolic link (a dotfile manager's settings.json) keeps pointing at the new contents.
  fs::path target(path);
  if (fs::is_symlink(target, ec))
    if (const fs::path real = fs::canonical(target, ec); !ec) target = real;
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  if (fs::is_directory(target, ec)) return fail("cannot write " + path + ": it is a directory");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) return fail("cannot write " + path + ": " + std::strerror(errno));
  const std::string tmp(buf.data());
  auto bail = [&](const std::string& what) {
    const std::string msg = "cannot write " + path + ": " + what;
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(msg);
  };
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return bail(std::strerror(errno));
    }
    p += n;
    left -= std::size_t(n);
  }
  if (::fchmod(fd, 0644) != 0) return bail(std::strerror(errno));
  if (::fsync(fd) != 0) return bail(std::strerror(errno));
  if (::close(fd) != 0) {
    const std::string msg = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(msg);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string msg = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(msg);
  }
  // Make the rename itself durable (best effort: some file systems refuse to sync a folder).
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<std::vector<std::uint8_t>> readFile(const std::string& path, std::uint64_t maxBytes) {
  // O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("cannot read " + path + ": not a regular file");
  }
  if (std::uint64_t(st.st_size) > maxBytes) {
    ::close(fd);
    return fail("cannot read " + path + ": file is " + std::to_string(st.st_size) +
                " bytes, more than the limit of " + std::to_string(maxBytes));
  }
  std::vector<std::uint8_t> bytes(std::size_t(st.st_size));
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail("cannot read " + path + ": " + (n < 0 ? std::strerror(errno) : "file shrank while reading"));
    }
    got += std::size_t(n);
  }
  ::close(fd);
  return bytes;
}

bool samePath(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

bool readAt(int fd, void* buf, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= std::size_t(got);
    offset += std::uint64_t(got);
  }
  return true;
}

}  // namespace qviz::core
