// ShaderLibrary: GLSL programs keyed by name, built from files under one shader directory
// (default: the source tree's shaders/, overridden by --shader-dir or $QVIZ_SHADER_DIR), with
// #include/#line expansion, parsed compile logs and hot reload by polling file stamps. A program that
// fails to compile or link never replaces the last good one. It does not watch directories or own a
// thread: the caller polls reloadIfChanged() (the explorer every ~100 ms) on the GL thread.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gpu/gl_objects.hpp"
#include "gpu/shader_log.hpp"
#include "util/result.hpp"

namespace qviz::gpu {

using core::Result;
using core::Status;

enum class ShaderStage : std::uint8_t { Vertex, Fragment, Compute };

struct ProgramDesc {
  std::string name;  // the key; one entry per name
  struct Stage {
    ShaderStage stage;
    std::string file;  // relative to the library directory (or absolute)
  };
  std::vector<Stage> stages;
  std::string prelude;  // injected after #version, e.g. "#define SAMPLE_BITS 16\n"
  std::map<std::string, std::string> includeAs = {};  // include name -> the file used for it (absolute or library-relative)
};

struct FileStamp {
  std::string path;
  std::int64_t mtimeNs = -1;  // -1: missing when last looked at
  std::int64_t size = -1;
  bool operator==(const FileStamp&) const = default;
};

struct ShaderEntry {
  ProgramDesc desc;
  std::vector<FileStamp> files;  // every file the last build read (includes too)
  Program program;               // the last program that linked; 0 if none ever did
  std::uint64_t generation = 0;  // +1 each time a newly linked program is swapped in
  std::uint64_t buildId = 0;     // which link the program came from: unique in the library for its lifetime
                                 // (an evicted and re-added entry starts again at generation 1)
  std::uint64_t lastUse = 0;     // library clock at the last add(), ensure() or rebuild() (eviction order)
  std::uint64_t failedBuilds = 0;
  std::string lastError;         // formatted diagnostics of the last build, empty when it linked
  std::vector<ShaderDiagnostic> diagnostics;  // of the last build (warnings too)
  std::string rawLog;            // compiler + linker logs of the last build, unparsed
  std::vector<FileStamp> pending;  // changed stamps waiting out the debounce
  std::int64_t pendingSinceNs = 0; // steady clock, when `pending` was first seen
};

class ShaderLibrary {
public:
  // $QVIZ_SHADER_DIR when set and not empty, else QVIZ_SOURCE_DIR "/shaders".
  static std::string defaultDir();

  explicit ShaderLibrary(std::string dir = defaultDir());
  const std::string& dir() const { return m_dir; }

  // At most this many programs are kept (default kDefaultCapacity): adding one more evicts the
  // least recently added, ensured or rebuilt entries (their GL programs are deleted; a later
  // ensure() builds them again). Every shader variant a user reaches (formats, roundings,
  // channels, paths) would otherwise stay compiled for the life of the process, megabytes each on
  // a software driver. Callers use a program right after ensure(), so anything ensured since the
  // last `capacity - 1` ensures stays valid.
  static constexpr std::size_t kDefaultCapacity = 48;
  void setCapacity(std::size_t maxPrograms);
  std::size_t capacity() const { return m_capacity; }
  std::uint64_t evictions() const { return m_evictions; }

  // Registers the program (replacing an earlier description under that name) and builds it.
  // Fails with "file:line: error: message" lines when it does not link; the entry stays, keeping
  // any previous program.
  Status add(ProgramDesc desc);
  // add() unless an entry with that name already exists; ok when that entry has a program.
  Status ensure(const ProgramDesc& desc);
  // Rebuilds one entry from disk now.
  Status rebuild(const std::string& name);

  bool has(const std::string& name) const { return m_entries.count(name) != 0; }
  const ShaderEntry* entry(const std::string& name) const;
  // The current program (0 when none ever linked).
  GLuint program(const std::string& name) const;
  std::vector<std::string> names() const;

  struct ReloadReport {
    std::vector<std::string> rebuilt;  // linked and swapped in
    std::vector<std::string> failed;   // changed but did not build (previous program kept)
  };
  // Rebuilds every entry whose files changed (mtime in ns or size). A changed file that reads back
  // empty (an editor mid-save) is skipped until a later poll sees content. With a debounce, a
  // change is built once its files are at least that old, or have looked the same for that long
  // (a file briefly missing during a save-by-rename waits too).
  ReloadReport reloadIfChanged();
  void setDebounceMs(int ms) { m_debounceNs = std::int64_t(ms) * 1000000; }

private:
  struct Build;  // one attempt: sources, logs, the new program
  Status build(ShaderEntry& e);
  void evictBeyondCapacity(const std::string& keep);

  std::string m_dir;
  std::int64_t m_debounceNs = 0;
  std::size_t m_capacity = kDefaultCapacity;
  std::uint64_t m_clock = 0;      // eviction order
  std::uint64_t m_nextBuildId = 0;
  std::uint64_t m_evictions = 0;
  std::map<std::string, ShaderEntry> m_entries;  // node-based: entry pointers stay valid
};

// Where #include may read (issue 15, rule 10): the shader folder `dir`, the built-in shader tree
// and the folders of `namedFiles`, each with symbolic links resolved. insideRoots resolves `path`'s
// links too before checking it lies under one of them.
std::vector<std::string> includeRoots(const std::string& dir, const std::vector<std::string>& namedFiles);
bool insideRoots(const std::string& path, const std::vector<std::string>& roots);

// Reads mtime (ns) and size; mtimeNs = -1 when the file is missing.
FileStamp stampFile(const std::string& path);

}  // namespace qviz::gpu
