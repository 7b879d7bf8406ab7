// The panels' names, window titles, open flags and layout traits, made from the one list
// (ui/panel_list.hpp). No ImGui or GL (the settings parser is fuzzed without them); ui/panels.hpp
// pairs each entry with its draw function, drawPanel<panelId("name")>, in the panel's own file.
#pragma once
#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "ui/app_state.hpp"
#include "ui/panel_list.hpp"

namespace qviz::ui {

// Where the tiling layout (ui/layout.hpp) puts a panel.
enum class PanelSlot : unsigned char {
  Main,  // the main area's top: the image
  Wide,  // wants the main area's width: under the main panel, or instead of it
  Side,  // a cell of the side column (or of the grid when no main-area panel is open)
};

// How a figure of one panel (--panel NAME) is laid out.
enum class PanelSolo : unsigned char {
  WithSide,  // the metrics and histogram panels stay open beside it
  Alone,     // they close: the right-hand column is the panel's own
  Window,    // they close and so does the image panel: the panel has the window
};

struct PanelInfo {
  const char* name;   // --panel NAME, and the key in settings.json
  const char* title;  // window title
  bool PanelOpen::*open;
  PanelSlot slot;
  PanelSolo solo;
};

// Every panel, in menu order: ui/panel_list.hpp's lines.
#define QVIZ_PANEL_INFO(member, name, title, openAtStart, slot, solo) \
  PanelInfo{name, title, &PanelOpen::member, PanelSlot::slot, PanelSolo::solo},
inline constexpr PanelInfo kPanels[] = {QVIZ_PANELS(QVIZ_PANEL_INFO)};
#undef QVIZ_PANEL_INFO
inline constexpr std::size_t kPanelCount = std::size(kPanels);

// The index of the panel called `name` in kPanels; an unknown name does not compile where a
// constant is needed (drawPanel<panelId("typo")>) and throws std::out_of_range otherwise.
constexpr std::size_t panelId(std::string_view name) {
  for (std::size_t i = 0; i < kPanelCount; ++i)
    if (name == kPanels[i].name) return i;
  throw std::out_of_range("unknown panel");
}

// kPanels as a vector (what the settings code and the tests iterate).
const std::vector<PanelInfo>& panelInfos();

}  // namespace qviz::ui
