// The panel table: every panel is a free function in its own file, paired here with its entry in
// panelInfos() (command-line name, window title and open flag). Panels read state, edit only
// UI-local state and emit commands.
#pragma once
#include <vector>

#include "ui/app_state.hpp"
#include "ui/commands.hpp"
#include "ui/panel_info.hpp"

namespace qviz::ui {

using PanelFn = void (*)(const AppState&, UiState&, Commands&);

struct PanelEntry : PanelInfo {
  PanelFn draw = nullptr;
};

// panelInfos() with the draw functions (a panel without one is a programming error: std::logic_error).
const std::vector<PanelEntry>& panelTable();
const PanelEntry* findPanel(const char* name);

void drawImagePanel(const AppState& s, UiState& ui, Commands& cmd);
void drawLevelsPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawMetricsPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawHistogramPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawNumberLinePanel(const AppState& s, UiState& ui, Commands& cmd);
void drawComparePanel(const AppState& s, UiState& ui, Commands& cmd);
void drawWeightsPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawMemoryPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawQloraPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawConceptsPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawShadersPanel(const AppState& s, UiState& ui, Commands& cmd);
void drawErrorCurvePanel(const AppState& s, UiState& ui, Commands& cmd);

}  // namespace qviz::ui
