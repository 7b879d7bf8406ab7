// The explorer: the GLFW window, the main loop and the scripted modes (--screenshot, --bench-ui).
#pragma once
#include <string>

namespace qviz::ui {

struct ExplorerOptions {
  std::string imagePath;       // empty: the default image from assets/
  std::string panel;           // --panel NAME: open (and focus) this panel
  int bits = 0;                // --bits B (0: keep the saved setting)
  bool presenter = false;      // --presenter
  std::string screenshot;      // --screenshot OUT.png: render `frames` frames, save, exit
  int frames = 0;              // frames to render in scripted modes (0: run until closed)
  bool benchUi = false;        // --bench-ui: drive the bits slider and pan, report frame times
  bool benchStart = false;     // --bench-start: run as a user would, report the time and CPU to settle
  std::string benchJson;       // --json OUT with --bench-ui or --bench-start
  int width = 1600, height = 1000;
  bool ignoreSettings = false;  // --no-settings: start from defaults, save nothing
  int loraSteps = 0;            // --lora-steps N: train the QLoRA panel N steps before drawing
  std::string shaderDir;        // --shader-dir DIR: shaders (and the user quantizer) from DIR
  std::string rounding;         // --rounding MODE (e.g. user)
};

// Runs the explorer; returns the process exit code (0, or 2 with a message on stderr).
int runExplorer(const ExplorerOptions& options);

// The default image: assets/images/astronaut.png in the source tree (or next to the binary).
std::string defaultImagePath();

}  // namespace qviz::ui
