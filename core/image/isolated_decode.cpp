// The isolated image decoder: decodeImage runs in a short-lived forked child with an address-space
// limit, no core dumps and a wall-clock deadline; the pixels come back through a pipe behind a
// small header that the parent checks against the load limits before it allocates anything.
#include "image/image_io.hpp"

#if defined(__unix__) || defined(__APPLE__)
#define QVIZ_DECODE_IN_CHILD 1
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#else
#define QVIZ_DECODE_IN_CHILD 0
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <thread>
#include <type_traits>
#include <vector>

// AddressSanitizer reserves terabytes of shadow memory: an address-space limit would break it.
#if defined(__SANITIZE_ADDRESS__)
#define QVIZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QVIZ_ASAN 1
#endif
#endif
#ifndef QVIZ_ASAN
#define QVIZ_ASAN 0
#endif

namespace qviz::core {
namespace detail {
namespace {
std::atomic<int> g_fault{0};
}
void setDecoderFaultForTesting(DecoderFault fault) { g_fault.store(int(fault)); }
}  // namespace detail

bool decoderIsolated() { return QVIZ_DECODE_IN_CHILD != 0; }

#if !QVIZ_DECODE_IN_CHILD

Result<Image> decodeImageIsolated(const std::uint8_t* data, std::size_t size, const std::string& name,
                                  const LoadLimits& limits) {
  return decodeImage(data, size, name, limits);
}

#else

namespace {
using Clock = std::chrono::steady_clock;

// What the child sends before the payload (pixels, or the message when ok == 0).
struct Wire {
  std::uint32_t magic = 0;
  std::uint32_t ok = 0;
  std::int32_t width = 0, height = 0, channels = 0, type = 0;
  std::uint64_t payload = 0;
};
static_assert(std::is_trivially_copyable_v<Wire>);
constexpr std::uint32_t kMagic = 0x31445651;  // "QVD1"
constexpr std::uint64_t kMaxMessage = 64 << 10;
const char* const kOutOfMemory = "the decoder ran out of memory (over its address-space limit)";

bool writeAll(int fd, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, b, std::min<std::size_t>(n, 1 << 20));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    n -= std::size_t(w);
  }
  return true;
}

// Virtual size of this process (Linux), the base of the child's address-space limit; 0 when
// unknown (macOS does not enforce RLIMIT_AS anyway).
std::uint64_t addressSpaceInUse() {
#if defined(__linux__)
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  if (statm >> pages) return pages * std::uint64_t(::sysconf(_SC_PAGESIZE));
#endif
  return 0;
}

std::string seconds(int ms) {
  char buf[32];
  if (ms % 1000 == 0) std::snprintf(buf, sizeof buf, "%d s", ms / 1000);
  else std::snprintf(buf, sizeof buf, "%.1f s", double(ms) / 1000.0);
  return buf;
}

// The child: one thread (the one that forked), the parent's memory copied on write. It touches
// no GL, no ImGui and no lock but malloc's, which the C library re-initialises in a fork child,
// and it leaves with _exit so that no atexit handler or stdio buffer of the parent runs.
[[noreturn]] void runChild(int wfd, const std::uint8_t* data, std::size_t size, const std::string& name,
                           const LoadLimits& limits, std::uint64_t asLimit) {
#if defined(__linux__) && defined(SYS_close_range)
  // Another thread's decoder must not wait for EOF on a pipe this child inherited.
  if (wfd > 3) ::syscall(SYS_close_range, 3u, unsigned(wfd - 1), 0u);
  ::syscall(SYS_close_range, unsigned(std::max(3, wfd + 1)), ~0u, 0u);
#endif
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE, SIGALRM}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct rlimit noCore {0, 0};
  ::setrlimit(RLIMIT_CORE, &noCore);
  if (asLimit) {
    struct rlimit as {rlim_t(asLimit), rlim_t(asLimit)};
    ::setrlimit(RLIMIT_AS, &as);
  }
  ::alarm(unsigned(limits.decodeTimeoutMs / 1000 + 2));  // in case the parent is gone

  const std::string prefix = "could not decode " + name + ": ";
  Wire wire;
  wire.magic = kMagic;
  std::string message;
  const void* payload = nullptr;
  Result<Image> result = fail("");
  try {
    switch (detail::DecoderFault(detail::g_fault.load())) {
      case detail::DecoderFault::Crash: ::raise(SIGSEGV); break;
      case detail::DecoderFault::Hang:
        for (;;) ::pause();
      case detail::DecoderFault::Exhaust: {
        // A runaway allocation outside the decode budget: virtual memory only, never touched.
        std::vector<void*> blocks;
        blocks.reserve(1 << 14);
        for (int i = 0; i < (1 << 14); ++i) blocks.push_back(::operator new(std::size_t(64) << 20));
        throw std::bad_alloc();
      }
      case detail::DecoderFault::Garble:
        wire.ok = 1;
        wire.width = wire.height = 1 << 30;
        wire.channels = 3;
        writeAll(wfd, &wire, sizeof wire);
        ::_exit(0);
      case detail::DecoderFault::None: break;
    }
    result = decodeImage(data, size, name, limits);
  } catch (const std::bad_alloc&) {
    result = fail(prefix + kOutOfMemory);
  }
  if (result) {
    const Image& img = *result;
    wire.ok = 1;
    wire.width = img.width;
    wire.height = img.height;
    wire.channels = img.channels;
    wire.type = int(img.type);
    wire.payload = img.byteSize();
    payload = img.type == SampleType::U8 ? static_cast<const void*>(img.u8.data()) : img.u16.data();
  } else {
    message = result.error().substr(0, kMaxMessage);
    wire.payload = message.size();
    payload = message.data();
  }
  const bool sent = writeAll(wfd, &wire, sizeof wire) && writeAll(wfd, payload, std::size_t(wire.payload));
  ::_exit(sent ? 0 : 3);
}

// Checks the child's header against the limits; empty when it is acceptable.
std::string checkWire(const Wire& w, const LoadLimits& limits) {
  if (w.magic != kMagic) return "bad header";
  if (w.ok == 0) return w.payload > 0 && w.payload <= kMaxMessage ? "" : "bad message length";
  if (w.ok != 1) return "bad status";
  if (w.channels < 1 || w.channels > 4 || (w.type != int(SampleType::U8) && w.type != int(SampleType::U16)))
    return "bad sample layout";
  if (w.width < 1 || w.height < 1 || w.width > limits.maxSide || w.height > limits.maxSide ||
      std::uint64_t(w.width) * std::uint64_t(w.height) > limits.maxPixels)
    return "bad size " + std::to_string(w.width) + "x" + std::to_string(w.height);
  const std::uint64_t bytes = std::uint64_t(w.width) * std::uint64_t(w.height) * std::uint64_t(w.channels) *
                              (w.type == int(SampleType::U16) ? 2u : 1u);
  if (w.payload != bytes) return "pixel data of the wrong length";
  return "";
}

// Children that answered and were still exiting when their parent moved on.
std::mutex g_exitingMutex;
std::vector<pid_t> g_exiting;

void reapExited() {
  std::lock_guard lock(g_exitingMutex);
  g_exiting.erase(std::remove_if(g_exiting.begin(), g_exiting.end(),
                                 [](pid_t p) {
                                   int st = 0;
                                   const pid_t w = ::waitpid(p, &st, WNOHANG);
                                   return w == p || (w < 0 && errno != EINTR);
                                 }),
                  g_exiting.end());
}

}  // namespace

Result<Image> decodeImageIsolated(const std::uint8_t* data, std::size_t size, const std::string& name,
                                  const LoadLimits& limits) {
  reapExited();
  // Files refused before any decoder code runs need no child.
  if (size == 0 || size > limits.maxFileBytes || sniffImageFormat(data, size) == ImageFormat::Unknown)
    return decodeImage(data, size, name, limits);
  const std::string prefix = "could not decode " + name + ": ";
  int fds[2];
  if (::pipe(fds) != 0) return fail(prefix + "cannot start the decoder (" + std::strerror(errno) + ")");
  for (int fd : fds) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
#if defined(F_SETPIPE_SZ)
  ::fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);  // fewer round trips for large images; best effort
#endif
  const int timeoutMs = std::max(1, limits.decodeTimeoutMs);
  std::uint64_t asLimit = 0;
  if (!QVIZ_ASAN)
    if (const std::uint64_t inUse = addressSpaceInUse())
      asLimit = inUse + 2 * limits.decodeBudgetBytes + limits.addressSpaceSlackBytes;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const std::string why = std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return fail(prefix + "cannot start the decoder (" + why + ")");
  }
  if (pid == 0) {
    ::close(fds[0]);
    runChild(fds[1], data, size, name, limits, asLimit);
  }
  ::close(fds[1]);
  const int rfd = fds[0];

  // Read the header, check it, then read the payload straight into its destination.
  enum class Outcome { Pending, Done, Eof, TimedOut, Malformed, NoMemory, ReadError };
  Outcome outcome = Outcome::Pending;
  Wire wire;
  std::size_t headerGot = 0;
  std::string message, malformed;
  Image img;
  std::uint8_t* dst = nullptr;
  std::uint64_t got = 0;
  while (outcome == Outcome::Pending) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      outcome = Outcome::TimedOut;
      break;
    }
    pollfd p{rfd, POLLIN, 0};
    const int pr = ::poll(&p, 1, int(std::min<long long>(left, 1 << 30)));
    if (pr < 0 && errno != EINTR) outcome = Outcome::ReadError;
    if (pr <= 0) continue;
    const bool inHeader = headerGot < sizeof wire;
    std::uint8_t* to = inHeader ? reinterpret_cast<std::uint8_t*>(&wire) + headerGot : dst + got;
    const std::size_t want = inHeader ? sizeof wire - headerGot : std::size_t(wire.payload - got);
    const ssize_t n = ::read(rfd, to, std::min<std::size_t>(want, 1 << 20));
    if (n < 0) {
      if (errno != EINTR && errno != EAGAIN) outcome = Outcome::ReadError;
      continue;
    }
    if (n == 0) {
      outcome = Outcome::Eof;
      break;
    }
    if (!inHeader) {
      got += std::uint64_t(n);
      if (got == wire.payload) outcome = Outcome::Done;
      continue;
    }
    headerGot += std::size_t(n);
    if (headerGot < sizeof wire) continue;
    malformed = checkWire(wire, limits);
    if (!malformed.empty()) {
      outcome = Outcome::Malformed;
    } else if (wire.ok == 1) {
      try {
        img = Image::make(wire.width, wire.height, wire.channels, SampleType(wire.type));
      } catch (const std::bad_alloc&) {
        outcome = Outcome::NoMemory;
        continue;
      }
      dst = img.type == SampleType::U8 ? img.u8.data() : reinterpret_cast<std::uint8_t*>(img.u16.data());
    } else {
      message.resize(std::size_t(wire.payload));
      dst = reinterpret_cast<std::uint8_t*>(message.data());
    }
  }
  ::close(rfd);

  // Reap the child. After a complete answer it is already in _exit, tearing down its copy of our
  // address space (tens of milliseconds for a large process): collect it later rather than wait.
  // Otherwise wait for it to tell how it ended; one still there at the deadline, or one that
  // sent nonsense, is killed.
  int status = 0;
  bool reaped = false, gone = false, killed = false;
  if (outcome == Outcome::Done) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == 0) {
      std::lock_guard lock(g_exitingMutex);
      g_exiting.push_back(pid);
    }
    reaped = gone = true;
  } else if (outcome == Outcome::Eof || outcome == Outcome::ReadError) {
    for (;;) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        reaped = true;
        break;
      }
      if (w < 0 && errno != EINTR) {
        gone = true;  // reaped by someone else (SIGCHLD ignored): nothing left to kill
        break;
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  if (!reaped && !gone) {
    ::kill(pid, SIGKILL);
    killed = true;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (outcome == Outcome::Eof || outcome == Outcome::ReadError) outcome = Outcome::TimedOut;
  }

  switch (outcome) {
    case Outcome::Done:
      if (wire.ok == 1) return img;
      for (char& c : message)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
      return fail(message);
    case Outcome::TimedOut: return fail(prefix + "decoder ran out of time (" + seconds(timeoutMs) + ")");
    case Outcome::Malformed: return fail(prefix + "the decoder sent a malformed answer (" + malformed + ")");
    case Outcome::NoMemory:
      return fail(prefix + "not enough memory for the decoded image (" + std::to_string(wire.payload >> 20) + " MiB)");
    case Outcome::Pending:
    case Outcome::Eof:
    case Outcome::ReadError: break;
  }
  if (reaped && WIFSIGNALED(status) && !killed)
    return fail(prefix + "decoder crashed (signal " + std::to_string(WTERMSIG(status)) + ")");
  if (reaped && WIFEXITED(status))
    return fail(prefix + "the decoder stopped without an answer (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
  return fail(prefix + "the decoder stopped without an answer");
}

#endif

}  // namespace qviz::core
