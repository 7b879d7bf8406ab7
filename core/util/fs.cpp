// Atomic writes (mkstemp + fsync + rename; a set, a new folder), streams, and capped reads.
#include "util/fs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace qviz::core {
namespace fs = std::filesystem;

namespace {
std::string errnoText(int e) { return std::strerror(e); }

// A mkstemp/mkdtemp template for a hidden name beside `p` (".NAME.tmp.XXXXXX", NUL-terminated),
// so the rename that follows stays on the same file system.
std::vector<char> hiddenTemplateBeside(const fs::path& p) {
  const fs::path dir = p.parent_path();
  const std::string t = ((dir.empty() ? fs::path(".") : dir) / ("." + p.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  return buf;
}

// The descriptor a path names by itself: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N
// (opening these instead would reopen a redirected file from its start, without O_APPEND).
int descriptorPath(const std::string& p) {
  if (p == "/dev/stdout") return 1;
  if (p == "/dev/stderr") return 2;
  for (const std::string& prefix : {std::string("/dev/fd/"), std::string("/proc/self/fd/"),
                                   "/proc/" + std::to_string(::getpid()) + "/fd/"}) {
    if (p.size() <= prefix.size() || p.compare(0, prefix.size(), prefix) != 0 || p.size() - prefix.size() > 6) continue;
    int fd = 0;
    for (std::size_t i = prefix.size(); i < p.size(); ++i) {
      if (p[i] < '0' || p[i] > '9') return -1;
      fd = fd * 10 + (p[i] - '0');
    }
    return fd;
  }
  return -1;
}

std::string kindOf(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISBLK(m)) return "a block device";
  return "not a regular file";
}

struct Resolved {
  bool stream = false;
  int fd = -1;          // stream: the descriptor (owned when opened here)
  bool ownFd = false;
  std::string target;   // file: the path to replace (links followed)
};

Result<Resolved> resolveOutput(const std::string& path, const std::string& shown) {
  if (path.empty()) return fail("no output path given");
  std::string cur = path;
  for (int hop = 0; hop < 40; ++hop) {
    if (const int fd = descriptorPath(fs::path(cur).lexically_normal().string()); fd >= 0) {
      if (::fcntl(fd, F_GETFD) < 0) return fail("cannot write " + shown + ": descriptor " + std::to_string(fd) + " is not open");
      return Resolved{true, fd, false, {}};
    }
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return fail("cannot write " + shown + ": " + errnoText(errno));
      // A new path; a dangling link is replaced by the file (there is nothing to keep).
      return Resolved{false, -1, false, hop == 0 ? cur : path};
    }
    if (S_ISLNK(st.st_mode)) {
      std::vector<char> buf(std::size_t(st.st_size > 0 ? st.st_size : 255) + 1);
      const ssize_t n = ::readlink(cur.c_str(), buf.data(), buf.size());
      if (n < 0 || std::size_t(n) >= buf.size()) return fail("cannot write " + shown + ": cannot read the link " + cur);
      const fs::path link(std::string(buf.data(), std::size_t(n)));
      cur = link.is_absolute() ? link.string() : (fs::path(cur).parent_path() / link).string();
      continue;
    }
    if (S_ISREG(st.st_mode)) return Resolved{false, -1, false, cur};
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
      const int fd = ::open(cur.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return fail("cannot write " + shown + ": " + errnoText(errno));
      return Resolved{true, fd, true, {}};
    }
    return fail("cannot write " + shown + ": it is " + kindOf(st.st_mode) +
                "; an output must be a new path, a regular file, a FIFO or a character device");
  }
  return fail("cannot write " + shown + ": too many levels of symbolic links");
}

void syncFolder(const std::string& dir) {
  // Makes a rename durable (best effort: some file systems refuse to sync a folder).
  if (const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}
}  // namespace

Result<OutputFile> OutputFile::open(const std::string& path, const std::string& shownAs) {
  const std::string shown = shownAs.empty() ? path : shownAs;
  auto r = resolveOutput(path, shown);
  if (!r) return fail(r.error());
  OutputFile f;
  f.m_shown = shown;
  if (r->stream) {
    f.m_stream = true;
    f.m_fd = r->fd;
    f.m_ownFd = r->ownFd;
    return f;
  }
  f.m_target = r->target;
  std::vector<char> buf = hiddenTemplateBeside(r->target);
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) return fail("cannot write " + shown + ": " + errnoText(errno));
  f.m_fd = fd;
  f.m_ownFd = true;
  f.m_tmp = buf.data();
  return f;
}

OutputFile::OutputFile(OutputFile&& o) noexcept { *this = std::move(o); }
OutputFile& OutputFile::operator=(OutputFile&& o) noexcept {
  if (this != &o) {
    discard();
    m_fd = std::exchange(o.m_fd, -1);
    m_stream = o.m_stream;
    m_ownFd = std::exchange(o.m_ownFd, false);
    m_finished = o.m_finished;
    m_target = std::move(o.m_target);
    m_tmp = std::exchange(o.m_tmp, {});
    m_shown = std::move(o.m_shown);
  }
  return *this;
}
OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (m_fd >= 0 && m_ownFd) ::close(m_fd);
  m_fd = -1;
  m_ownFd = false;
  if (!m_tmp.empty()) ::unlink(m_tmp.c_str());
  m_tmp.clear();
}

Error OutputFile::failure(const std::string& why) {
  const std::string msg = "cannot write " + m_shown + ": " + why;
  discard();
  return fail(msg);
}

Status OutputFile::write(const void* data, std::size_t size) {
  if (m_fd < 0 || (m_finished && !m_stream)) return fail("cannot write " + m_shown + ": the output is closed");
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(m_fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // a non-blocking pipe that is full: wait for the reader
        struct pollfd pfd {m_fd, POLLOUT, 0};
        ::poll(&pfd, 1, -1);
        continue;
      }
      return failure(errnoText(errno));
    }
    p += n;
    size -= std::size_t(n);
  }
  return {};
}

Status OutputFile::finish() {
  if (m_finished) return {};
  if (m_fd < 0) return fail("cannot write " + m_shown + ": the output is closed");
  m_finished = true;
  if (m_stream) return {};
  if (::fchmod(m_fd, 0644) != 0) return failure(errnoText(errno));
  if (::fsync(m_fd) != 0) return failure(errnoText(errno));
  const int fd = std::exchange(m_fd, -1);
  m_ownFd = false;
  if (::close(fd) != 0) return failure(errnoText(errno));
  return {};
}

Status OutputFile::commit() {
  if (auto st = finish(); !st) return st;
  if (m_stream) {
    if (m_ownFd && m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    m_ownFd = false;
    return {};
  }
  if (m_tmp.empty()) return fail("cannot write " + m_shown + ": the output is closed");
  if (::rename(m_tmp.c_str(), m_target.c_str()) != 0) return failure(errnoText(errno));
  m_tmp.clear();
  syncFolder(fs::path(m_target).parent_path().string());
  return {};
}

Result<OutputFile*> OutputSet::open(const std::string& path, const std::string& shownAs) {
  auto f = OutputFile::open(path, shownAs);
  if (!f) return fail(f.error());
  m_files.push_back(std::make_unique<OutputFile>(std::move(*f)));
  return m_files.back().get();
}

Status OutputSet::add(const std::string& path, const void* data, std::size_t size, const std::string& shownAs) {
  auto f = open(path, shownAs);
  if (!f) return fail(f.error());
  if ((*f)->isStream()) {
    m_held.push_back({*f, std::string(static_cast<const char*>(data), size)});
    return {};
  }
  if (auto st = (*f)->write(data, size); !st) return st;
  return (*f)->finish();
}

Status OutputSet::commit() {
  for (auto& f : m_files)
    if (auto st = f->finish(); !st) return st;
  for (auto& h : m_held)
    if (auto st = h.file->write(h.bytes); !st) return st;
  m_held.clear();
  for (auto& f : m_files)
    if (auto st = f->commit(); !st) return st;
  return {};
}

Result<OutputFolder> OutputFolder::prepare(const std::string& dir) {
  if (dir.empty()) return fail("no output folder given");
  OutputFolder f;
  f.m_dir = dir;
  std::error_code ec;
  const fs::path d(dir);
  if (fs::is_directory(d, ec)) return f;  // exists (links followed): written in place
  if (fs::exists(fs::symlink_status(d, ec)) || fs::is_symlink(fs::symlink_status(d, ec)))
    return fail(dir + " exists and is not a folder");
  // The first missing ancestor: everything below it is built under a temporary name.
  fs::path missing = d.lexically_normal();
  if (missing.has_filename() == false) missing = missing.parent_path();
  fs::path parent = missing.parent_path();
  while (!parent.empty() && !fs::exists(fs::symlink_status(parent, ec))) {
    missing = parent;
    parent = parent.parent_path();
  }
  if (!parent.empty() && !fs::is_directory(parent, ec)) return fail("cannot create " + dir + ": " + parent.string() + " is not a folder");
  std::vector<char> buf = hiddenTemplateBeside(missing);
  if (!::mkdtemp(buf.data())) return fail("cannot create " + dir + ": " + errnoText(errno));
  f.m_stagingRoot = buf.data();
  f.m_finalRoot = missing.string();
  const fs::path rest = d.lexically_normal().lexically_relative(missing);
  f.m_stagingDir = (rest.empty() || rest == ".") ? f.m_stagingRoot : (fs::path(f.m_stagingRoot) / rest).string();
  ::chmod(f.m_stagingRoot.c_str(), 0755);  // mkdtemp makes it 0700
  if (f.m_stagingDir != f.m_stagingRoot && !fs::create_directories(f.m_stagingDir, ec))
    return fail("cannot create " + dir + ": " + ec.message());
  return f;
}

OutputFolder::OutputFolder(OutputFolder&& o) noexcept { *this = std::move(o); }
OutputFolder& OutputFolder::operator=(OutputFolder&& o) noexcept {
  if (this != &o) {
    if (!m_stagingRoot.empty() && !m_committed) {
      std::error_code ec;
      fs::remove_all(m_stagingRoot, ec);
    }
    m_dir = std::move(o.m_dir);
    m_stagingRoot = std::exchange(o.m_stagingRoot, {});
    m_finalRoot = std::move(o.m_finalRoot);
    m_stagingDir = std::move(o.m_stagingDir);
    m_committed = o.m_committed;
  }
  return *this;
}
OutputFolder::~OutputFolder() {
  if (!m_stagingRoot.empty() && !m_committed) {
    std::error_code ec;
    fs::remove_all(m_stagingRoot, ec);
  }
}

std::string OutputFolder::stagingPath(const std::string& rel) const {
  return ((m_stagingRoot.empty() ? fs::path(m_dir) : fs::path(m_stagingDir)) / rel).string();
}
std::string OutputFolder::shownPath(const std::string& rel) const { return (fs::path(m_dir) / rel).string(); }

Status OutputFolder::commit() {
  if (m_stagingRoot.empty() || m_committed) return {};
  // rename(2) would also replace an empty folder made meanwhile; refuse to merge into anything else.
  if (::rename(m_stagingRoot.c_str(), m_finalRoot.c_str()) != 0)
    return fail("cannot create " + m_dir + ": " + errnoText(errno));
  m_committed = true;
  syncFolder(fs::path(m_finalRoot).parent_path().string());
  return {};
}

Status writeFileAtomic(const std::string& path, const void* data, std::size_t size) {
  auto f = OutputFile::open(path);
  if (!f) return fail(f.error());
  if (auto st = f->write(data, size); !st) return st;
  return f->commit();
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
