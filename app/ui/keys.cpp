// Shortcut table and handler. Key indices are GLFW key codes, as ImGui 1.86's GLFW backend uses.
#include "ui/keys.hpp"
#include "ui/frame.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>

namespace qviz::ui {

const std::vector<Shortcut>& shortcuts() {
  static const std::vector<Shortcut> table = {
      {"Ctrl+O", "open a file (in-app browser)"},
      {"Ctrl+S", "save a screenshot of the window"},
      {"Ctrl+E", "export the quantized image at native resolution"},
      {"Ctrl+= / Ctrl+-", "presenter zoom: larger / smaller font"},
      {"F5 or Ctrl+P", "presenter mode on/off"},
      {"1 ... 8", "bits per sample"},
      {"Up / Down", "one bit more / less"},
      {"R", "next rounding mode"},
      {"V", "next view (side by side, split, error, flicker)"},
      {"F", "fit the image to the view"},
      {"E", "Error against bits panel (PSNR and SSIM of every mode at every depth) on/off"},
      {"B", "Equal bits panel (every weight format's error at its bits per weight) on/off"},
      {"F1", "this help"},
      {"Ctrl+Q", "quit"},
  };
  return table;
}

bool textInputActive() {
  // io.WantTextInput is last frame's answer; the active id with an input-text state is this one's
  // (a field activated by a click in the previous frame). Not io.WantCaptureKeyboard: with keyboard
  // navigation on it is true whenever a panel has focus, which silenced every shortcut after a click.
  if (ImGui::GetIO().WantTextInput) return true;
  const ImGuiID active = ImGui::GetActiveID();
  return active != 0 && ImGui::GetInputTextState(active) != nullptr;
}

void handleShortcuts(const AppState& s, UiState& ui, Commands& cmd) {
  const ImGuiIO& io = ImGui::GetIO();
  if (textInputActive()) return;
  const bool ctrl = io.KeyCtrl;
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (ctrl && pressed(GLFW_KEY_O)) ui.showFileBrowser = true;
  if (ctrl && pressed(GLFW_KEY_S)) ui.pendingScreenshot = screenshotName();
  if (ctrl && pressed(GLFW_KEY_E)) {
    ui.exportWhat = "quantized";
    ui.exportPath = "qviz-quantized.png";
  }
  if (ctrl && (pressed(GLFW_KEY_EQUAL) || pressed(GLFW_KEY_KP_ADD))) ui.fontScale = std::min(4.0f, ui.fontScale * 1.25f);
  if (ctrl && (pressed(GLFW_KEY_MINUS) || pressed(GLFW_KEY_KP_SUBTRACT))) ui.fontScale = std::max(0.5f, ui.fontScale / 1.25f);
  if (pressed(GLFW_KEY_F5) || (ctrl && pressed(GLFW_KEY_P))) {
    ui.presenter = !ui.presenter;
    ui.fontScale = ui.presenter ? 2.0f : 1.0f;
  }
  if (ctrl && pressed(GLFW_KEY_Q)) ui.quitRequested = true;
  if (pressed(GLFW_KEY_F1)) ui.showHelp = !ui.showHelp;
  if (ctrl || io.KeyAlt || io.KeySuper) return;
  const int maxBits = s.derived.image.empty() ? 8 : s.derived.image.bitDepth();
  for (int b = 1; b <= 8; ++b)
    if (pressed(GLFW_KEY_1 + b - 1) && b <= maxBits) cmd.edit("set bits", [b](Document& d) { d.quant.bits = b; });
  if (pressed(GLFW_KEY_UP)) cmd.edit("bits up", [maxBits](Document& d) { d.quant.bits = std::min(maxBits, d.quant.bits + 1); });
  if (pressed(GLFW_KEY_DOWN)) cmd.edit("bits down", [](Document& d) { d.quant.bits = std::max(1, d.quant.bits - 1); });
  if (pressed(GLFW_KEY_R))
    cmd.edit("next rounding", [](Document& d) {
      // nearest, truncate, stochastic, seed, drop, nearest... (the user shader is chosen in the panel)
      using core::Rounding;
      const Rounding r = d.quant.rounding;
      d.quant.rounding = r == Rounding::Seed ? Rounding::Drop
                         : r == Rounding::Drop || r == Rounding::User ? Rounding::Nearest
                                                                       : Rounding(int(r) + 1);
      if (d.quant.rounding != core::Rounding::Nearest) d.quant.dither = core::Dither::None;
    });
  if (pressed(GLFW_KEY_V)) cmd.edit("next view", [](Document& d) { d.view = ViewMode((int(d.view) + 1) % 4); });
  if (pressed(GLFW_KEY_F)) ui.zoom = ui.panX = ui.panY = 0;
  if (pressed(GLFW_KEY_E)) ui.open.errorCurve = !ui.open.errorCurve;
  if (pressed(GLFW_KEY_B)) ui.open.equalBits = !ui.open.equalBits;
}

}  // namespace qviz::ui
