// The explorer: the GLFW window and its flat main loop. Scripts (the scripted screenshot, the
// benchmarks: app/drive/) run it through a Driver, which the loop calls at fixed points of a frame.
#pragma once
#include <optional>
#include <string>

#include "util/result.hpp"

namespace qviz::ui {

struct AppState;
class Commands;

// What a user chooses on the command line.
struct ExplorerOptions {
  std::string imagePath;       // empty: the default image from assets/
  std::string panel;           // --panel NAME: open (and focus) this panel
  int bits = 0;                // --bits B (0: keep the saved setting)
  bool presenter = false;      // --presenter
  int width = 1600, height = 1000;
  bool ignoreSettings = false;  // --no-settings: start from defaults, save nothing
  std::string shaderDir;        // --shader-dir DIR: shaders (and the user quantizer) from DIR
  std::string rounding;         // --rounding MODE (e.g. user)
  std::string weightsFormat;    // --weights-format NAME: the Weights panel's format (a table name)
  std::string weightsSource;    // --weights-source normal|heavy|uniform: its synthetic tensor
  int weightsBlock = -1;        // --weights-block N: the block it inspects (-1: keep)
};

// The running explorer, as a driver sees it.
class Explorer {
public:
  virtual AppState& state() = 0;
  virtual Commands& commands() = 0;
  virtual int frames() const = 0;            // frames drawn so far (this one included, once it is rendered)
  virtual double msSinceStart() const = 0;   // since runExplorer was called
  virtual std::string renderer() const = 0;  // GL_RENDERER
  // Saves the frame just rendered (before it is presented) as PNG and posts a notice.
  virtual core::Status saveScreenshot(const std::string& path) = 0;
  virtual void finishGl() = 0;  // waits until the GL has done everything submitted (glFinish)

protected:
  ~Explorer() = default;
};

// A script running the explorer. Every hook does nothing by default.
class Driver {
public:
  virtual ~Driver() = default;
  // The options and the settings are applied, no window is open yet: nullopt to go on, else the
  // exit code (a bad output path).
  virtual std::optional<int> start(AppState&) { return std::nullopt; }
  // No window can open (no display, or GLFW does not start): nullopt for the usual error, else
  // the exit code (the screenshot drawn offscreen).
  virtual std::optional<int> withoutWindow(AppState&) { return std::nullopt; }
  // A frame on every pass without waiting for input; no settings saved, no quit signals caught.
  virtual bool freeRunning() const { return false; }
  virtual bool vsync() const { return true; }
  // The loop woke while waiting for input; `quiet`: nothing to draw or compute. False ends the loop.
  virtual bool woke(Explorer&, bool /*quiet*/) { return true; }
  virtual void beforeUpdate(Explorer&) {}  // a frame starts: its commands are not applied yet
  virtual void afterUpdate(Explorer&) {}   // the commands are applied and the derived state updated
  virtual void afterBuild(Explorer&) {}    // the UI is built (ImGui::Render)
  virtual void afterRender(Explorer&) {}   // rendered into the back buffer, not yet presented
  virtual bool afterPresent(Explorer&) { return true; }  // false ends the loop
  // The loop ended (the window is still open): the exit code.
  virtual int finish(Explorer&) { return 0; }
};

// Runs the explorer; returns the process exit code (0, or 2 with a message on stderr).
int runExplorer(const ExplorerOptions& options, Driver* driver = nullptr);

// The default image: assets/images/astronaut.png in the source tree (or next to the binary).
std::string defaultImagePath();

}  // namespace qviz::ui
