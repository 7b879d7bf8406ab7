// Settings persistence under $XDG_CONFIG_HOME/qviz (or ~/.config/qviz): settings.json (document,
// open panels, presenter mode, recent files) and imgui.ini (window layout). Writes are atomic;
// a corrupt or foreign file is ignored with a notice, never fatal.
#pragma once
#include <string>

#include "ui/app_state.hpp"

namespace qviz::ui {

std::string configDir();  // created on demand

// Serialises / restores what a user would want back next time. Unknown or invalid fields are
// skipped; returns a message describing what was ignored (empty if everything was read).
std::string settingsToJson(const AppState& s);
std::string settingsFromJson(const std::string& text, AppState& s);

// Reads settings.json into s; returns a notice for the user when something was ignored.
std::string loadSettings(AppState& s);
// Writes settings.json atomically; returns an error message or empty.
std::string saveSettings(const AppState& s);

}  // namespace qviz::ui
