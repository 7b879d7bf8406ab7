// The explorer's tiling layout, without ImGui: rectangles for the open panels inside the work area
// (below the menu bar, above the status bar), from each panel's slot in the panel list. No two
// rectangles overlap and together they fill the work area. ImGui 1.86 has no docking; frame.cpp
// applies these rectangles when the set of open panels changes, and on View > Reset layout.
#pragma once
#include <vector>

#include "ui/panel_info.hpp"

namespace qviz::ui {

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;
  float right() const { return x + w; }
  float bottom() const { return y + h; }
  bool operator==(const Rect&) const = default;
};

// True when the interiors intersect (rectangles that only share an edge do not overlap).
bool overlaps(const Rect& a, const Rect& b);

// One rectangle per entry of `open` (the open panels' slots, in panel-list order):
// main-area panels (the Main one on top, Wide ones under it) on the left, Side panels in a column
// on the right (two columns when there are more than three); with no main-area panel the Side
// panels share the whole area as a grid.
std::vector<Rect> tilePanels(const std::vector<PanelSlot>& open, Rect work);

}  // namespace qviz::ui
