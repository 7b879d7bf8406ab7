// The panel table: kPanels (ui/panel_info.hpp) with each panel's draw function. Every panel is a
// free function in its own file, drawPanel<panelId("NAME")>. Panels read state, edit only
// UI-local state and emit commands.
#pragma once
#include <cstddef>
#include <vector>

#include "ui/app_state.hpp"
#include "ui/commands.hpp"
#include "ui/panel_info.hpp"

namespace qviz::ui {

using PanelFn = void (*)(const AppState&, UiState&, Commands&);

// Panel kPanels[I]'s draw function, defined (specialized) in the panel's file; one missing is a
// link error.
template <std::size_t I>
void drawPanel(const AppState& s, UiState& ui, Commands& cmd);

struct PanelEntry : PanelInfo {
  PanelFn draw = nullptr;
};

// panelInfos() with the draw functions, in the same order.
const std::vector<PanelEntry>& panelTable();
const PanelEntry* findPanel(const char* name);

}  // namespace qviz::ui
