// Shader hot reload in the explorer; see shader_watch.hpp.
#include "ui/shader_watch.hpp"

#include "gpu/shader_library.hpp"
#include "gpu/uniform_kernel.hpp"
#include "ui/app_state.hpp"
#include "ui/commands.hpp"
#include "ui/gpu_engine.hpp"
#include "util/fs.hpp"

namespace qviz::ui {

std::string userShaderPath(const AppState& s) {
  if (!s.derived.gpu) return {};
  return gpu::resolveShaderPath(s.derived.gpu->shaders(), s.doc.userShaderFile);
}

namespace {
// `force`: a program was rebuilt, so a file the user file includes may have new annotations.
void refreshControls(AppState& s, bool force) {
  ShaderWatch& w = s.derived.shaderWatch;
  const std::string path = userShaderPath(s);
  if (path.empty()) return;
  const gpu::FileStamp st = gpu::stampFile(path);
  if (!force && path == w.controlsPath && st.mtimeNs == w.controlsMtime && st.size == w.controlsSize) return;
  if (st.mtimeNs >= 0 && st.size == 0) return;  // an editor mid-save: look again next poll
  if (path != w.controlsPath || st.mtimeNs != w.controlsMtime || st.size != w.controlsSize) ++w.userFileChanges;
  w.controlsPath = path;
  w.controlsMtime = st.mtimeNs;
  w.controlsSize = st.size;
  auto r = gpu::readUserControls(s.derived.gpu->shaders(), s.doc.userShaderFile);
  if (r) {
    w.controls = std::move(*r);
    w.controlsError.clear();
  } else {
    w.controls = {};
    w.controlsError = r.error();
  }
}
}  // namespace

bool pollShaders(AppState& s) {
  if (!s.derived.gpu) return false;
  ShaderWatch& w = s.derived.shaderWatch;
  const auto now = std::chrono::steady_clock::now();
  if (!s.synchronous && now - w.lastPoll < std::chrono::milliseconds(100)) return false;
  w.lastPoll = now;
  gpu::ShaderLibrary& lib = s.derived.gpu->shaders();
  const auto report = lib.reloadIfChanged();
  for (const auto& name : report.rebuilt) {
    const gpu::ShaderEntry* e = lib.entry(name);
    if (e && e->generation > 1 && e->failedBuilds > 0)
      postNotice(s.ui, "shader " + name + " compiles again (generation " + std::to_string(e->generation) + ")", false);
  }
  for (const auto& name : report.failed) {
    const gpu::ShaderEntry* e = lib.entry(name);
    const std::string first = e ? e->lastError.substr(0, e->lastError.find('\n')) : std::string();
    postNotice(s.ui, (e && e->program ? "shader error, the last good version keeps running: " : "shader error: ") + first,
               true);
  }
  w.reloads += report.rebuilt.size();
  w.failures += report.failed.size();
  const std::int64_t before = w.controlsMtime, sizeBefore = w.controlsSize;
  const std::string pathBefore = w.controlsPath;
  const std::size_t controlsBefore = w.controls.controls.size() + w.controls.problems.size();
  refreshControls(s, !report.rebuilt.empty() || !report.failed.empty());
  const bool controlsChanged = before != w.controlsMtime || sizeBefore != w.controlsSize || pathBefore != w.controlsPath ||
                               controlsBefore != w.controls.controls.size() + w.controls.problems.size();
  if (!report.rebuilt.empty() || controlsChanged) {
    ++w.generation;
    s.derived.view.revision = ~0ull;  // the view's inputs carry the generation: look at them again
  }
  return !report.rebuilt.empty() || !report.failed.empty() || controlsChanged;
}

bool saveUserShader(AppState& s, const std::string& path, const std::string& text) {
  if (auto r = core::writeFileAtomic(path, text); !r) {
    postNotice(s.ui, "could not save " + path + ": " + r.error(), true);
    return false;
  }
  ShaderEditor& ed = s.ui.editor;
  if (ed.path == path) {
    ed.savedText = text;
    const gpu::FileStamp now = gpu::stampFile(path);
    ed.diskMtime = ed.seenMtime = now.mtimeNs;
    ed.diskSize = ed.seenSize = now.size;
    ed.changedOnDisk = false;
  }
  postNotice(s.ui, "saved " + path, false);
  return true;
}

std::vector<std::string> imageViewPrograms(const AppState& s) {
  if (s.doc.quant.rounding == core::Rounding::User && s.derived.gpu)
    return {s.derived.gpu->lastUserProgram(), "display"};
  return {"quantize_uniform", "display"};
}

StaleInfo staleShaders(const AppState& s, const std::vector<std::string>& prefixes) {
  StaleInfo info;
  if (!s.derived.gpu) return info;
  const gpu::ShaderLibrary& lib = s.derived.gpu->shaders();
  for (const auto& name : lib.names()) {
    bool match = false;
    for (const auto& p : prefixes) match = match || (!p.empty() && name.rfind(p, 0) == 0);
    if (!match) continue;
    const gpu::ShaderEntry* e = lib.entry(name);
    if (!e || e->lastError.empty()) continue;
    (e->program ? info.stale : info.broken).push_back(name);
    if (info.firstError.empty()) info.firstError = e->lastError.substr(0, e->lastError.find('\n'));
  }
  return info;
}

}  // namespace qviz::ui
