// ShaderLibrary: reading, expanding, compiling and linking, and the reload poll.
#include "gpu/shader_library.hpp"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gpu/shader_source.hpp"
#include "util/fs.hpp"

#ifndef QVIZ_SOURCE_DIR
#define QVIZ_SOURCE_DIR "."
#endif

namespace qviz::gpu {
namespace {
// Shader files are small; a larger one is not a shader (and would be compiled as one string).
constexpr std::uint64_t kMaxShaderFileBytes = 4u << 20;
}  // namespace

FileStamp stampFile(const std::string& path) {
  FileStamp s;
  s.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return s;
  s.mtimeNs = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + std::int64_t(st.st_mtim.tv_nsec);
  s.size = std::int64_t(st.st_size);
  return s;
}

std::vector<std::string> includeRoots(const std::string& dir, const std::vector<std::string>& namedFiles) {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots = {dir, QVIZ_SOURCE_DIR "/shaders"};
  for (const auto& f : namedFiles) roots.push_back(fs::path(f).parent_path());
  std::vector<std::string> out;
  for (const auto& r : roots) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(fs::absolute(r, ec), ec);
    if (!ec) out.push_back(c.string());
  }
  return out;
}

bool insideRoots(const std::string& path, const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path c = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return false;
  for (const auto& r : roots) {
    const fs::path rel = c.lexically_relative(r);
    if (!rel.empty() && *rel.begin() != "..") return true;
  }
  return false;
}

std::string ShaderLibrary::defaultDir() {
  if (const char* env = std::getenv("QVIZ_SHADER_DIR"); env && *env) return env;
  return QVIZ_SOURCE_DIR "/shaders";
}

ShaderLibrary::ShaderLibrary(std::string dir) : m_dir(std::move(dir)) {}

const ShaderEntry* ShaderLibrary::entry(const std::string& name) const {
  auto it = m_entries.find(name);
  return it == m_entries.end() ? nullptr : &it->second;
}

GLuint ShaderLibrary::program(const std::string& name) const {
  const ShaderEntry* e = entry(name);
  return e ? e->program.id() : 0;
}

std::vector<std::string> ShaderLibrary::names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : m_entries) out.push_back(name);
  return out;
}

void ShaderLibrary::setCapacity(std::size_t maxPrograms) {
  m_capacity = std::max<std::size_t>(1, maxPrograms);
  evictBeyondCapacity({});
}

void ShaderLibrary::evictBeyondCapacity(const std::string& keep) {
  while (m_entries.size() > m_capacity) {
    auto victim = m_entries.end();
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
      if (it->first != keep && (victim == m_entries.end() || it->second.lastUse < victim->second.lastUse)) victim = it;
    if (victim == m_entries.end()) return;
    m_entries.erase(victim);
    ++m_evictions;
  }
}

Status ShaderLibrary::add(ProgramDesc desc) {
  const std::string name = desc.name;
  ShaderEntry& e = m_entries[name];
  e.desc = std::move(desc);
  e.lastUse = ++m_clock;
  Status st = build(e);
  evictBeyondCapacity(name);
  return st;
}

Status ShaderLibrary::ensure(const ProgramDesc& desc) {
  auto it = m_entries.find(desc.name);
  if (it == m_entries.end()) return add(desc);
  it->second.lastUse = ++m_clock;
  if (it->second.program) return {};
  return core::fail(it->second.lastError.empty() ? "shader program '" + desc.name + "' has never linked"
                                                 : it->second.lastError);
}

Status ShaderLibrary::rebuild(const std::string& name) {
  auto it = m_entries.find(name);
  if (it == m_entries.end()) return core::fail("no shader program named '" + name + "'");
  it->second.lastUse = ++m_clock;
  return build(it->second);
}

namespace {
GLenum glStage(ShaderStage s) {
  switch (s) {
    case ShaderStage::Vertex: return GL_VERTEX_SHADER;
    case ShaderStage::Fragment: return GL_FRAGMENT_SHADER;
    case ShaderStage::Compute: return GL_COMPUTE_SHADER;
  }
  return GL_NONE;
}
const char* stageName(ShaderStage s) {
  switch (s) {
    case ShaderStage::Vertex: return "vertex";
    case ShaderStage::Fragment: return "fragment";
    case ShaderStage::Compute: return "compute";
  }
  return "?";
}
std::string shaderLog(GLuint shader) {
  GLint n = 0;
  glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &n);
  std::string log(std::size_t(n > 0 ? n : 0), '\0');
  if (n > 0) glGetShaderInfoLog(shader, n, nullptr, log.data());
  while (!log.empty() && log.back() == '\0') log.pop_back();
  return log;
}
std::string programLog(GLuint program) {
  GLint n = 0;
  glGetProgramiv(program, GL_INFO_LOG_LENGTH, &n);
  std::string log(std::size_t(n > 0 ? n : 0), '\0');
  if (n > 0) glGetProgramInfoLog(program, n, nullptr, log.data());
  while (!log.empty() && log.back() == '\0') log.pop_back();
  return log;
}
}  // namespace

struct ShaderLibrary::Build {
  std::vector<FileStamp> stamps;
  bool sawEmptyFile = false;
};

Status ShaderLibrary::build(ShaderEntry& e) {
  namespace fs = std::filesystem;
  // Building needs a current context with GL loaded (a GpuContext made first); say so, not crash.
  if (!glCreateShader || !glCreateProgram) return core::fail("no GL context: create a GpuContext before building shaders");
  Build b;
  // The reader stamps each file before reading it, so an edit landing mid-read shows up next poll.
  const SourceReader reader = [&b](const std::string& path) -> std::optional<std::string> {
    FileStamp st = stampFile(path);
    b.stamps.push_back(st);
    if (st.mtimeNs < 0) return std::nullopt;
    // Bounded and regular files only (O_NONBLOCK: a FIFO swapped in after the stamp never blocks).
    auto bytes = core::readFile(path, kMaxShaderFileBytes);
    if (!bytes) return std::nullopt;
    std::string text(bytes->begin(), bytes->end());
    if (text.empty()) b.sawEmptyFile = true;
    return text;
  };
  std::vector<ShaderDiagnostic> diags;
  std::string raw;
  std::vector<Shader> shaders;
  bool failed = false;
  for (const auto& stage : e.desc.stages) {
    const std::string path = fs::path(stage.file).is_absolute() ? stage.file : (fs::path(m_dir) / stage.file).string();
    IncludeMap includeAs;
    for (const auto& [name, file] : e.desc.includeAs)
      includeAs[name] = fs::path(file).is_absolute() ? file : (fs::path(m_dir) / file).string();
    // Includes stay inside the shader folder, the built-in shader tree and the folders of the files
    // named for this program, symbolic links resolved first: a shared workshop folder cannot pull
    // in ~/.ssh/id_rsa through "../" , an absolute path or a link.
    std::vector<std::string> named = {path};
    for (const auto& [name, file] : includeAs) named.push_back(file);
    const IncludeGuard inside = [roots = includeRoots(m_dir, named)](const std::string& p) { return insideRoots(p, roots); };
    ExpandedSource src = expandIncludes(path, m_dir, reader, e.desc.prelude, includeAs, inside);
    if (b.sawEmptyFile) break;
    if (!src.ok()) {
      diags.insert(diags.end(), src.errors.begin(), src.errors.end());
      failed = true;
      continue;
    }
    Shader sh = makeShader(glStage(stage.stage));
    const char* text = src.text.c_str();
    glShaderSource(sh.id(), 1, &text, nullptr);
    glCompileShader(sh.id());
    GLint ok = GL_FALSE;
    glGetShaderiv(sh.id(), GL_COMPILE_STATUS, &ok);
    const std::string log = shaderLog(sh.id());
    if (!log.empty()) {
      raw += std::string("--- ") + stageName(stage.stage) + " shader " + path + "\n" + log;
      if (raw.back() != '\n') raw += "\n";
      auto parsed = parseShaderLog(log, src.files);
      diags.insert(diags.end(), parsed.begin(), parsed.end());
    }
    if (!ok) {
      failed = true;
      if (log.empty()) diags.push_back({path, 0, 0, 0, "error", "the shader did not compile (empty log)"});
    }
    shaders.push_back(std::move(sh));
  }
  if (b.sawEmptyFile) {
    // An editor truncated a file while saving: leave everything as it was and look again later.
    return core::fail("a shader file of '" + e.desc.name + "' read back empty; skipped");
  }
  e.files = std::move(b.stamps);
  Program prog;
  if (!failed) {
    prog = Program::create();
    for (const auto& sh : shaders) glAttachShader(prog.id(), sh.id());
    glLinkProgram(prog.id());
    GLint ok = GL_FALSE;
    glGetProgramiv(prog.id(), GL_LINK_STATUS, &ok);
    const std::string log = programLog(prog.id());
    if (!log.empty()) {
      raw += "--- link " + e.desc.name + "\n" + log;
      if (raw.back() != '\n') raw += "\n";
      auto parsed = parseShaderLog(log, {});
      for (auto& d : parsed)
        if (d.sourceIndex < 0 && d.file.empty()) d.file = e.desc.name;  // link errors name the program
      diags.insert(diags.end(), parsed.begin(), parsed.end());
    }
    for (const auto& sh : shaders) glDetachShader(prog.id(), sh.id());
    if (!ok) {
      failed = true;
      if (log.empty()) diags.push_back({e.desc.name, -1, 0, 0, "error", "the program did not link (empty log)"});
    }
  }
  e.rawLog = std::move(raw);
  e.diagnostics = std::move(diags);
  if (failed) {
    ++e.failedBuilds;
    std::vector<ShaderDiagnostic> errors;
    for (const auto& d : e.diagnostics)
      if (d.severity == "error") errors.push_back(d);
    if (errors.empty()) errors.push_back({e.desc.name, -1, 0, 0, "error", "the shader program did not build"});
    e.lastError = formatDiagnostics(errors);
    if (!e.lastError.empty() && e.lastError.back() == '\n') e.lastError.pop_back();
    return core::fail(e.lastError);
  }
  e.program = std::move(prog);
  ++e.generation;
  e.buildId = ++m_nextBuildId;
  e.lastError.clear();
  return {};
}

namespace {
std::int64_t clockNs(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
}  // namespace

ShaderLibrary::ReloadReport ShaderLibrary::reloadIfChanged() {
  ReloadReport report;
  for (auto& [name, e] : m_entries) {
    bool changed = e.files.empty();
    std::vector<FileStamp> now;
    now.reserve(e.files.size());
    for (const auto& f : e.files) {
      now.push_back(stampFile(f.path));
      changed = changed || !(now.back() == f);
    }
    if (!changed) {
      e.pending.clear();
      continue;
    }
    if (m_debounceNs > 0 && !e.files.empty()) {
      const std::int64_t steady = clockNs(CLOCK_MONOTONIC);
      if (now != e.pending) {
        e.pending = now;
        e.pendingSinceNs = steady;
      }
      bool present = true;
      std::int64_t newest = 0;
      for (const auto& f : now) {
        present = present && f.mtimeNs >= 0;
        newest = std::max(newest, f.mtimeNs);
      }
      const bool settled = present && clockNs(CLOCK_REALTIME) - newest >= m_debounceNs;
      const bool stable = steady - e.pendingSinceNs >= m_debounceNs;
      if (!settled && !stable) continue;
    }
    e.pending.clear();
    const std::uint64_t before = e.generation;
    const std::uint64_t failedBefore = e.failedBuilds;
    (void)build(e);
    if (e.generation != before) report.rebuilt.push_back(name);
    else if (e.failedBuilds != failedBefore) report.failed.push_back(name);
  }
  return report;
}

}  // namespace qviz::gpu
