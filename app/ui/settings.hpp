// Settings persistence under $XDG_CONFIG_HOME/qviz (or ~/.config/qviz): settings.json (document,
// open panels, presenter mode, recent files) and imgui.ini (window layout). Writes are atomic;
// a corrupt or foreign file is ignored with a notice, never fatal.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "ui/app_state.hpp"

namespace qviz::ui {

std::string configDir();  // created on demand
// Renames a refused settings.json / imgui.ini to PATH.bad-YYYYMMDDTHHMMSSZ; returns the new name ("" when it failed).
std::string setAside(const std::string& path);

// Serialises / restores what a user would want back next time. Unknown or invalid fields are
// skipped; returns a message describing what was ignored (empty if everything was read).
std::string settingsToJson(const AppState& s);
std::string settingsFromJson(const std::string& text, AppState& s);
// The same on the document and the UI state alone (what the settings fuzzer drives).
std::string settingsToJson(const Document& d, const UiState& ui);
std::string settingsFromJson(const std::string& text, Document& d, UiState& ui);

// Reads settings.json into s; returns a notice for the user when something was ignored.
std::string loadSettings(AppState& s);
// Writes settings.json atomically; returns an error message or empty.
std::string saveSettings(const AppState& s);

// imgui.ini (the window layout) is handed to Dear ImGui only when it looks like one it wrote:
// UTF-8 text without control characters, at most kMaxIniBytes, "[Type][Name]" sections with
// key=value lines, and [Table] entries with 1-64 columns (ImGui 1.86 trusts that count and a
// hostile one makes it allocate gigabytes or write out of bounds). checkImguiIni says why a
// text is refused ("" when it is accepted).
constexpr std::size_t kMaxIniBytes = 1 << 20;
std::string checkImguiIni(const std::string& text);
// Reads `path` into `text` when it passes; otherwise clears `text` and returns a notice ("ignored
// the window layout PATH: why; using the default layout"). A missing file gives no notice.
std::string loadImguiIni(const std::string& path, std::string& text);

}  // namespace qviz::ui
