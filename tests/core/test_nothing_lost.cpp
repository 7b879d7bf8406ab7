// Nothing lost: every write goes to a temporary file and is renamed, so a full device, a file size
// limit or a read-only folder gives a message and leaves the previous file byte for byte. Tested
// on real small tmpfs mounts where mounting is allowed (root on Linux), and always with
// RLIMIT_FSIZE in a forked child (EFBIG instead of ENOSPC, the same code path).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>

#include "image/image_io.hpp"
#include "tensor/npy.hpp"
#include "test_support.hpp"
#include "util/fs.hpp"

#include "../test_files.hpp"

using namespace qviz::core;
namespace fs = std::filesystem;

namespace {
using qviz::test::SmallTmpfs;
std::string scratch(const std::string& name) { return qviz::test::scratchDir("qviz_lost", name); }

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// Fills the file system holding `path` with one file until it says ENOSPC.
void fill(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  const std::string block(4096, 'f');
  int err = 0;
  for (int i = 0; i < 1 << 16 && err == 0; ++i)
    if (::write(fd, block.data(), block.size()) < 0) err = errno;
  ::close(fd);
  REQUIRE(err == ENOSPC);
}

// Runs `write` in a forked child whose file size limit is `limit` bytes (SIGXFSZ ignored, so the
// write fails with EFBIG) and returns the message it produced ("" on success).
template <class F>
std::string inChildWithFileLimit(std::uint64_t limit, F write) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit r {rlim_t(limit), rlim_t(limit)};
    ::setrlimit(RLIMIT_FSIZE, &r);
    const std::string msg = write();
    const ssize_t n = ::write(fds[1], msg.data(), msg.size());
    ::_exit(n == ssize_t(msg.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, std::size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return msg;
}

std::string errorOf(const Status& st) { return st ? std::string("(written)") : st.error(); }
}  // namespace

TEST_CASE("a file size limit (EFBIG): a message, the previous file intact, no temporary left", "[nothing-lost]") {
  const std::string dir = scratch("fsize");
  const std::string out = dir + "/settings.json";
  const std::string previous(10000, 'p');
  REQUIRE(writeFileAtomic(out, previous).ok());
  const std::string msg = inChildWithFileLimit(16 << 10, [&] { return errorOf(writeFileAtomic(out, std::string(40000, 'n'))); });
  CHECK(msg == "cannot write " + out + ": File too large");
  CHECK(readAll(out) == previous);
  CHECK(listing(dir) == std::set<std::string>{"settings.json"});
  // The same through the PNG and .npy writers.
  const std::string png = dir + "/out.png";
  const Image img = qviz::test::randomImage(128, 128, 3, SampleType::U8, 3);
  CHECK(inChildWithFileLimit(16 << 10, [&] { return errorOf(savePng(img, png)); }) ==
        "cannot write " + png + ": File too large");
  std::vector<float> values(20000, 0.5f);
  const std::string npy = dir + "/t.npy";
  CHECK(inChildWithFileLimit(16 << 10, [&] { return errorOf(writeNpy(npy, tensorFromFloats({20000}, values.data(), 20000))); }) ==
        "cannot write " + npy + ": File too large");
  CHECK(listing(dir) == std::set<std::string>{"settings.json"});
  // Within the limit it works.
  CHECK(inChildWithFileLimit(16 << 10, [&] { return errorOf(writeFileAtomic(out, std::string(12000, 'x'))); }) == "(written)");
  CHECK(readAll(out) == std::string(12000, 'x'));
  fs::remove_all(dir);
}

TEST_CASE("a full device (ENOSPC on a 64 KiB tmpfs): a message, the previous file intact", "[nothing-lost]") {
  const std::string dir = scratch("full");
  {
    SmallTmpfs mnt(dir + "/mnt");
    if (!mnt.mounted) {
      WARN("cannot mount a tmpfs here (not root?): the file size limit test covers the same path");
      return;
    }
    const std::string out = mnt.dir + "/settings.json";
    const std::string previous(10000, 'p');
    REQUIRE(writeFileAtomic(out, previous).ok());
    fill(mnt.dir + "/filler");
    CHECK(errorOf(writeFileAtomic(out, std::string(40000, 'n'))) == "cannot write " + out + ": No space left on device");
    CHECK(readAll(out) == previous);
    const Image img = qviz::test::randomImage(128, 128, 3, SampleType::U8, 4);
    CHECK(errorOf(savePng(img, out)) == "cannot write " + out + ": No space left on device");
    std::vector<float> values(20000, 0.25f);
    CHECK(errorOf(writeNpy(out, tensorFromFloats({20000}, values.data(), 20000))) ==
          "cannot write " + out + ": No space left on device");
    CHECK(readAll(out) == previous);
    CHECK(listing(mnt.dir) == std::set<std::string>{"filler", "settings.json"});
    // Once there is room again, the write goes through.
    fs::remove(mnt.dir + "/filler");
    CHECK(writeFileAtomic(out, std::string(40000, 'n')).ok());
    CHECK(readAll(out) == std::string(40000, 'n'));
  }
  fs::remove_all(dir);
}

TEST_CASE("a read-only folder: a message, the previous file intact", "[nothing-lost]") {
  const std::string dir = scratch("readonly");
  const std::string previous = "{\"format\": \"qviz-settings\"}\n";
  if (::geteuid() != 0) {
    // Permissions stop everyone but root.
    const std::string out = dir + "/settings.json";
    REQUIRE(writeFileAtomic(out, previous).ok());
    ::chmod(dir.c_str(), 0555);
    CHECK(errorOf(writeFileAtomic(out, "new")) == "cannot write " + out + ": Permission denied");
    ::chmod(dir.c_str(), 0755);
    CHECK(readAll(out) == previous);
  } else {
    SmallTmpfs mnt(dir + "/mnt");
    if (!mnt.mounted || (writeFileAtomic(mnt.dir + "/settings.json", previous).ok() && !mnt.remountReadOnly())) {
      WARN("cannot mount or remount a tmpfs read-only here; root ignores folder permissions");
    } else {
      const std::string out = mnt.dir + "/settings.json";
      CHECK(errorOf(writeFileAtomic(out, "new")) == "cannot write " + out + ": Read-only file system");
      const Image img = qviz::test::randomImage(8, 8, 3, SampleType::U8, 5);
      CHECK(errorOf(savePng(img, mnt.dir + "/new.png")) == "cannot write " + mnt.dir + "/new.png: Read-only file system");
      CHECK(readAll(out) == previous);
      CHECK(listing(mnt.dir) == std::set<std::string>{"settings.json"});
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("writing through a symbolic link replaces the file it points to, not the link", "[nothing-lost]") {
  const std::string dir = scratch("symlink");
  fs::create_directories(dir + "/dotfiles");
  REQUIRE(writeFileAtomic(dir + "/dotfiles/settings.json", "old").ok());
  fs::create_symlink("dotfiles/settings.json", dir + "/settings.json");
  REQUIRE(writeFileAtomic(dir + "/settings.json", "new").ok());
  CHECK(fs::is_symlink(dir + "/settings.json"));
  CHECK(readAll(dir + "/dotfiles/settings.json") == "new");
  CHECK(listing(dir + "/dotfiles") == std::set<std::string>{"settings.json"});
  // A dangling link is replaced by the file (there is nothing to keep).
  fs::create_symlink("nowhere/x.json", dir + "/dangling.json");
  REQUIRE(writeFileAtomic(dir + "/dangling.json", "x").ok());
  CHECK(!fs::is_symlink(dir + "/dangling.json"));
  CHECK(readAll(dir + "/dangling.json") == "x");
  fs::remove_all(dir);
}

// ---- Issue 15, item 1: what an output path may be -------------------------------------------------

TEST_CASE("writers: a FIFO is written as a stream, and stays a FIFO", "[nothing-lost][writers]") {
  const std::string dir = scratch("fifo");
  const std::string fifo = dir + "/pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  std::string got;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) _exit(writeFileAtomic(fifo, std::string(100000, 's')).ok() ? 0 : 1);
  {
    const int fd = ::open(fifo.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, std::size_t(n));
    ::close(fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(got == std::string(100000, 's'));
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(listing(dir) == std::set<std::string>{"pipe"});
  fs::remove_all(dir);
}

TEST_CASE("writers: /dev/stdout redirected with >> appends to the file, /dev/null is a stream", "[nothing-lost][writers]") {
  const std::string dir = scratch("stdout");
  const std::string log = dir + "/log";
  REQUIRE(writeFileAtomic(log, "before\n").ok());
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
    ::dup2(fd, 1);
    const bool ok = writeFileAtomic("/dev/stdout", "one\n").ok() && writeFileAtomic("/dev/fd/1", "two\n").ok() &&
                    writeFileAtomic("/proc/self/fd/1", "three\n").ok();
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(readAll(log) == "before\none\ntwo\nthree\n");
  CHECK(writeFileAtomic("/dev/null", "gone").ok());
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // A link to a FIFO or a device is followed to it.
  fs::create_symlink("/dev/null", dir + "/null-link");
  CHECK(writeFileAtomic(dir + "/null-link", "x").ok());
  CHECK(fs::is_symlink(dir + "/null-link"));
  fs::remove_all(dir);
}

TEST_CASE("writers: a directory, a socket, a block device are refused, nothing changes", "[nothing-lost][writers]") {
  const std::string dir = scratch("refused");
  fs::create_directories(dir + "/folder");
  const std::string sock = dir + "/sock";
  {
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a {};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock.c_str());
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::close(s);
  }
  const std::string tail = "; an output must be a new path, a regular file, a FIFO or a character device";
  CHECK(errorOf(writeFileAtomic(dir + "/folder", "x")) == "cannot write " + dir + "/folder: it is a directory" + tail);
  CHECK(errorOf(writeFileAtomic(sock, "x")) == "cannot write " + sock + ": it is a socket" + tail);
  fs::create_symlink("folder", dir + "/folder-link");
  CHECK(errorOf(writeFileAtomic(dir + "/folder-link", "x")) == "cannot write " + dir + "/folder-link: it is a directory" + tail);
  for (const char* blk : {"/dev/loop0", "/dev/sda", "/dev/vda", "/dev/nvme0n1"}) {
    struct stat st {};
    if (::stat(blk, &st) == 0 && S_ISBLK(st.st_mode)) {
      CHECK(errorOf(writeFileAtomic(blk, "x")) == std::string("cannot write ") + blk + ": it is a block device" + tail);
      break;
    }
  }
  fs::create_symlink("loop", dir + "/loop");
  CHECK(errorOf(writeFileAtomic(dir + "/loop", "x")) == "cannot write " + dir + "/loop: too many levels of symbolic links");
  CHECK(listing(dir) == std::set<std::string>{"folder", "folder-link", "loop", "sock"});
  CHECK(fs::is_empty(dir + "/folder"));
  fs::remove_all(dir);
}

TEST_CASE("writers: a chain of links is followed, the file is replaced beside itself", "[nothing-lost][writers]") {
  const std::string dir = scratch("chain");
  fs::create_directories(dir + "/a/b");
  REQUIRE(writeFileAtomic(dir + "/a/b/real.json", "old").ok());
  fs::create_symlink("b/real.json", dir + "/a/mid.json");
  fs::create_symlink("a/mid.json", dir + "/top.json");
  REQUIRE(writeFileAtomic(dir + "/top.json", "new").ok());
  CHECK(fs::is_symlink(dir + "/top.json"));
  CHECK(fs::is_symlink(dir + "/a/mid.json"));
  CHECK(readAll(dir + "/a/b/real.json") == "new");
  CHECK(listing(dir + "/a/b") == std::set<std::string>{"real.json"});
  fs::remove_all(dir);
}

// ---- Issue 15, item 5: sets of outputs and new folders appear together or not at all -------------

TEST_CASE("writers: an output set that fails part way leaves every file as it was", "[nothing-lost][writers]") {
  const std::string dir = scratch("set");
  REQUIRE(writeFileAtomic(dir + "/a.txt", "old a").ok());
  fs::create_directories(dir + "/ro");
  REQUIRE(writeFileAtomic(dir + "/ro/b.txt", "old b").ok());
  {
    OutputSet set;
    REQUIRE(set.add(dir + "/a.txt", "new a").ok());
    REQUIRE(set.add(dir + "/new.txt", "new").ok());
    // Then the third cannot be written: a directory.
    CHECK(!set.add(dir + "/ro", "x").ok());
  }  // not committed
  CHECK(readAll(dir + "/a.txt") == "old a");
  CHECK(listing(dir) == std::set<std::string>{"a.txt", "ro"});
  {
    OutputSet set;
    REQUIRE(set.add(dir + "/a.txt", "new a").ok());
    auto f = set.open(dir + "/ro/b.txt");
    REQUIRE(f.ok());
    REQUIRE((*f)->write("new b").ok());
    REQUIRE(set.commit().ok());
  }
  CHECK(readAll(dir + "/a.txt") == "new a");
  CHECK(readAll(dir + "/ro/b.txt") == "new b");
  CHECK(listing(dir) == std::set<std::string>{"a.txt", "ro"});
  fs::remove_all(dir);
}

TEST_CASE("writers: a new output folder is built under a temporary name and appears whole", "[nothing-lost][writers]") {
  const std::string dir = scratch("folder");
  {
    auto f = OutputFolder::prepare(dir + "/x/y/out");
    REQUIRE(f.ok());
    CHECK(f->isNew());
    CHECK(f->shownPath("a.txt") == dir + "/x/y/out/a.txt");
    REQUIRE(writeFileAtomic(f->stagingPath("a.txt"), "a").ok());
    CHECK(!fs::exists(dir + "/x"));
  }  // dropped: nothing left
  CHECK(fs::is_empty(dir));
  {
    auto f = OutputFolder::prepare(dir + "/x/y/out");
    REQUIRE(f.ok());
    OutputSet set;
    REQUIRE(set.add(f->stagingPath("a.txt"), "a", f->shownPath("a.txt")).ok());
    REQUIRE(set.commit().ok());
    REQUIRE(f->commit().ok());
  }
  CHECK(readAll(dir + "/x/y/out/a.txt") == "a");
  CHECK(listing(dir) == std::set<std::string>{"x"});
  // An existing folder is written in place; a file in the way is refused.
  auto again = OutputFolder::prepare(dir + "/x/y/out");
  REQUIRE(again.ok());
  CHECK(!again->isNew());
  CHECK(again->stagingPath("a.txt") == dir + "/x/y/out/a.txt");
  CHECK(OutputFolder::prepare(dir + "/x/y/out/a.txt").error() == dir + "/x/y/out/a.txt exists and is not a folder");
  fs::remove_all(dir);
}
