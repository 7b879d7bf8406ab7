// Hot reload for the explorer: polls the shader library (every ~100 ms, every frame in synchronous
// runs) on the main thread, bumps the shader generation that re-runs the views, posts a notice for
// each program that failed or recovered, and re-reads the user file's annotations when it changes.
// Also answers "is this view stale" (its program's last build failed; the previous one still runs).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/shader_annotations.hpp"

namespace qviz::ui {

// Hot reload of the shaders in use: the library is polled every ~100 ms on the main thread.
struct ShaderWatch {
  std::chrono::steady_clock::time_point lastPoll{};
  std::uint64_t generation = 0;  // +1 whenever a program is rebuilt (views re-run)
  std::uint64_t reloads = 0, failures = 0;
  // The user file's annotations, re-read when its stamp changes.
  std::string controlsPath;
  std::int64_t controlsMtime = -2, controlsSize = -2;
  std::uint64_t userFileChanges = 0;  // +1 whenever a poll sees the user file's stamp (or path) change
  gpu::AnnotationSet controls;
  std::string controlsError;  // the file cannot be read
};

struct AppState;

// Returns true when something visible changed (a rebuild, a failure, new controls); a rebuild
// or new controls also mark the image view for re-checking.
bool pollShaders(AppState& s);

// The absolute path of the document's user file in the running shader library (empty: no GPU).
std::string userShaderPath(const AppState& s);

// Programs whose names start with one of `prefixes` and whose last build failed while an older
// program still runs (a "stale" view), or that never built at all.
struct StaleInfo {
  std::vector<std::string> stale, broken;
  std::string firstError;  // the first "file:line: error: message" among them
  bool any() const { return !stale.empty() || !broken.empty(); }
};
StaleInfo staleShaders(const AppState& s, const std::vector<std::string>& prefixes);

// Saves the editor's buffer to `path` atomically (temporary file + rename): on failure the old file
// is untouched, the buffer stays and a notice says why. Returns whether it saved.
bool saveUserShader(AppState& s, const std::string& path, const std::string& text);

// The library entries the image view uses for the current settings.
std::vector<std::string> imageViewPrograms(const AppState& s);

}  // namespace qviz::ui
