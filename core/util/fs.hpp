// File helpers that never leave a half-written file: write to a temporary file in the target's
// folder, flush it to disk, then rename over the target (one file, a set, or a new folder); streams
// (pipes, devices, stdout) written directly. Also: whole-file reads with a size cap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace qviz::core {

// Output rules (every writer goes through these): a new path or a regular file is written to a
// temporary file beside it and renamed over it once complete; a symbolic link is followed and the
// file it points at is replaced that way (the link stays a link; a dangling link is replaced by the
// file); a FIFO, a character device or an open descriptor (/dev/stdout, /dev/fd/N) is written
// directly as a stream, in order, honouring O_APPEND (`--out /dev/stdout >> log` appends); anything
// else (a directory, a socket, a block device) is refused with a message.
class OutputFile {
public:
  // Resolves `path` and opens the temporary file or the stream. `shownAs` names the output in
  // messages (default: path), for files written into a folder that is still being built.
  static Result<OutputFile> open(const std::string& path, const std::string& shownAs = {});
  OutputFile() = default;
  OutputFile(OutputFile&& o) noexcept;
  OutputFile& operator=(OutputFile&& o) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();  // an uncommitted temporary file is removed

  Status write(const void* data, std::size_t size);
  Status write(const std::string& text) { return write(text.data(), text.size()); }
  // Flushes the temporary file to disk and closes it (a stream: nothing); the target is untouched.
  Status finish();
  // Renames the finished temporary over the target (finish() first when needed).
  Status commit();
  void discard();
  bool isStream() const { return m_stream; }
  const std::string& shownAs() const { return m_shown; }

private:
  Error failure(const std::string& why);
  int m_fd = -1;
  bool m_stream = false, m_ownFd = false, m_finished = false;
  std::string m_target, m_tmp, m_shown;
};

// A set of outputs that appear together or not at all: every file is written to its temporary and
// renamed only by commit(), after all are complete; the destructor of an uncommitted set removes
// the temporaries, so a command that fails leaves every output as it was. Whole contents given to
// add() for a stream are held and written at commit(), before the renames; a stream opened with
// open() is written as the data comes (what a reader already received cannot be taken back).
class OutputSet {
public:
  Result<OutputFile*> open(const std::string& path, const std::string& shownAs = {});
  Status add(const std::string& path, const void* data, std::size_t size, const std::string& shownAs = {});
  Status add(const std::string& path, const std::string& text, const std::string& shownAs = {}) {
    return add(path, text.data(), text.size(), shownAs);
  }
  Status commit();

private:
  struct Held {
    OutputFile* file;
    std::string bytes;
  };
  std::vector<std::unique_ptr<OutputFile>> m_files;
  std::vector<Held> m_held;
};

// An output folder that appears only when complete: an existing folder is used as it is; a missing
// one (with its missing parents) is built under a temporary name beside its first missing ancestor
// and renamed into place by commit(). Uncommitted, the destructor removes what was built.
class OutputFolder {
public:
  static Result<OutputFolder> prepare(const std::string& dir);
  OutputFolder() = default;
  OutputFolder(OutputFolder&& o) noexcept;
  OutputFolder& operator=(OutputFolder&& o) noexcept;
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  ~OutputFolder();
  // Where to write `rel` now, and the name to show for it.
  std::string stagingPath(const std::string& rel) const;
  std::string shownPath(const std::string& rel) const;
  bool isNew() const { return !m_stagingRoot.empty(); }
  Status commit();

private:
  std::string m_dir, m_stagingRoot, m_finalRoot, m_stagingDir;
  bool m_committed = false;
};

// Writes `size` bytes to `path` by the output rules above. On any failure the previous file (if
// any) is intact and the temporary file is removed.
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
