// Keyboard shortcuts, all in one place (ImGui 1.86 still uses native GLFW key codes). The Help
// window lists this table.
#pragma once
#include <vector>

#include "ui/app_state.hpp"
#include "ui/commands.hpp"

namespace qviz::ui {

struct Shortcut {
  const char* keys;    // as shown in Help and the menus
  const char* action;  // what it does
};

const std::vector<Shortcut>& shortcuts();

// Reads ImGui's key state (only when no text field has focus) and queues commands.
void handleShortcuts(const AppState& s, UiState& ui, Commands& cmd);

}  // namespace qviz::ui
