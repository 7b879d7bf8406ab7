// Frame pacing: ImGui's windows hidden for a measuring frame.
#include "ui/frame_pacing.hpp"

#include <imgui.h>
#include <imgui_internal.h>

namespace qviz::ui {

bool needsAnotherFrame(int& chained) {
  const ImGuiContext* g = ImGui::GetCurrentContext();
  bool hidden = false;
  if (g)
    for (const ImGuiWindow* w : g->Windows)
      if (w->Active && w->Hidden) {
        hidden = true;
        break;
      }
  if (!hidden || chained >= 3) {
    chained = 0;
    return false;
  }
  ++chained;
  return true;
}

}  // namespace qviz::ui
