// One frame of the explorer's UI, independent of the platform (GLFW window or headless EGL):
// apply commands, update derived caches, draw the menu, the panels and the status bar.
#pragma once
#include <imgui.h>

#include <string>
#include <vector>

#include "ui/app_state.hpp"
#include "ui/commands.hpp"

namespace qviz::ui {

// Platform services the frame may ask for (the GLFW shell fills them; headless leaves them empty).
struct FrameHooks {
  bool canOpenSystemDialog = false;
  void (*requestQuit)(void* user) = nullptr;
  void (*openSystemDialog)(void* user) = nullptr;
  void* user = nullptr;
};

// Between ImGui::NewFrame() and ImGui::Render(): draws everything and queues commands.
void drawFrame(AppState& s, Commands& cmd, const FrameHooks& hooks);

// Presenter mode: rebuilds the font atlas for the current ui.fontScale and scales the style from a
// saved copy. Call between frames (not inside NewFrame/Render).
void applyFontScale(const UiState& ui, const ImGuiStyle& baseStyle);

// "qviz-screenshot-YYYYmmdd-HHMMSS.png", unused in the working folder.
std::string screenshotName();

// Exports at native resolution. `what` is "quantized", "original", "error" or "levels".
void exportView(AppState& s, const std::string& what, const std::string& path);

// Every file the explorer reads: the image, the shader folder (the user quantizer included, through
// gpu::ShaderLibrary::defaultDir(), which --shader-dir sets), settings.json and imgui.ini. No output
// (screenshot, export, figure, --json) may be one of them.
std::vector<std::string> explorerInputs(const AppState& s);

}  // namespace qviz::ui
