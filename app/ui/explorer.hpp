// The explorer window: GLFW + Dear ImGui shell around the quantizers.
#pragma once
#include <string>

namespace qviz::ui {

struct ExplorerOptions {
  std::string imagePath;  // empty: the default image from assets/
  int frames = 0;         // > 0: render this many frames and exit (scripted runs)
};

// Opens the window and runs until it is closed. Returns a process exit code.
int runExplorer(const ExplorerOptions& options);

// The default image: assets/images/astronaut.png next to the source tree or the installed data.
std::string defaultImagePath();

}  // namespace qviz::ui
