// The panels' names, window titles and open flags, without their draw functions: what the
// settings file and the command line need (the settings parser is fuzzed without ImGui or GL).
// ui/panels.hpp pairs each entry with its draw function.
#pragma once
#include <vector>

#include "ui/app_state.hpp"

namespace qviz::ui {

// Where the tiling layout (ui/layout.hpp) puts a panel.
enum class PanelSlot : unsigned char {
  Main,  // the main area's top: the image
  Wide,  // wants the main area's width: under the main panel, or instead of it
  Side,  // a cell of the side column (or of the grid when no main-area panel is open)
};

struct PanelInfo {
  const char* name;   // --panel NAME, and the key in settings.json
  const char* title;  // window title
  bool PanelOpen::*open;
  PanelSlot slot;
};

// Every panel, in menu order.
const std::vector<PanelInfo>& panelInfos();

}  // namespace qviz::ui
