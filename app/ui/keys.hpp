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

// True while a text field (InputText, the shader editor) is being edited: the one case in which
// single-key shortcuts are typed text instead. Keyboard navigation and a focused panel do not count.
bool textInputActive();

// Reads ImGui's key state and queues commands; single keys are ignored while textInputActive().
void handleShortcuts(const AppState& s, UiState& ui, Commands& cmd);

}  // namespace qviz::ui
