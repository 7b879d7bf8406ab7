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
// main-area panels (the Main one on top, Wide ones under it, in two columns when more than three) on the left, Side panels in a column
// on the right (two columns when there are more than three); with no main-area panel the Side
// panels share the whole area as a grid.
std::vector<Rect> tilePanels(const std::vector<PanelSlot>& open, Rect work);

// Presenter mode: at most two panels large, the rest a click away. The stage (the first Main
// panel, else the first Wide one) takes the left 62% at full height; the featured panel (index
// into `open`; the first other one when it is not valid) the side column; every other open panel is
// a collapsed title bar (`titleH` high) stacked under it: expanding one features it.
struct PresenterTile {
  Rect rect;               // for a collapsed panel, its title bar
  bool collapsed = false;
};
std::vector<PresenterTile> tilePresenter(const std::vector<PanelSlot>& open, Rect work, std::size_t featured,
                                         float titleH);

}  // namespace qviz::ui
