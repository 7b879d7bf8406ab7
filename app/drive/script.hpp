// The explorer's scripted runs, from the command line: --screenshot (with --frames), --bench-ui,
// --bench-start, --lora-steps, --json. They run the explorer through its Driver interface
// (ui/explorer.hpp); each flag is one driver file (screenshot.cpp, bench_ui.cpp, bench_start.cpp).
#pragma once
#include <string>

#include "ui/explorer.hpp"

namespace qviz::drive {

struct ScriptOptions {
  std::string screenshot;  // --screenshot OUT.png: render `frames` frames, save, exit
  int frames = 0;          // frames to render in scripted modes (0: 5 for a screenshot, 300 for --bench-ui)
  bool benchUi = false;    // --bench-ui: drive the bits slider and pan, report frame times
  bool benchStart = false; // --bench-start: run as a user would, report the time and CPU to settle
  std::string json;        // --json OUT with --bench-ui or --bench-start
  int loraSteps = 0;       // --lora-steps N: train the QLoRA panel N steps before drawing
};

// Runs the explorer with the scripts the options ask for (none: the plain explorer).
int runExplorer(const ui::ExplorerOptions& options, const ScriptOptions& script);

}  // namespace qviz::drive
