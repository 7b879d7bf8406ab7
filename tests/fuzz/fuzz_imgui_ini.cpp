// libFuzzer harness for the window layout file (ui::checkImguiIni, the gate in front of Dear
// ImGui's imgui.ini loader). A text the gate accepts is handed to ImGui 1.86 exactly as the app
// does (LoadIniSettingsFromMemory), a frame opens every panel's window so the saved positions,
// sizes and collapsed states are applied, and what ImGui saves back must pass the gate again.
// ImGui comes from Debian's libimgui.a, without sanitizer instrumentation: its crashes and its
// allocations (libFuzzer's -malloc_limit_mb) are caught, its out-of-bounds reads are not.
#include <imgui.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "ui/panel_info.hpp"
#include "ui/settings.hpp"

using namespace qviz::ui;

namespace {
// One font atlas for every context (building it is the costly part of a context).
ImFontAtlas& atlas() {
  static ImFontAtlas* a = [] {
    auto* f = new ImFontAtlas();
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    f->GetTexDataAsRGBA32(&pixels, &w, &h);
    return f;
  }();
  return *a;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string why = checkImguiIni(text);
  if (!why.empty()) {
    FUZZ_CHECK(why.find('\n') == std::string::npos);  // one line for the notice
    return 0;
  }
  FUZZ_CHECK(text.size() <= kMaxIniBytes);

  ImGuiContext* ctx = ImGui::CreateContext(&atlas());
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // never touch a file
  io.DisplaySize = ImVec2(1600, 1000);
  io.DeltaTime = 1.0f / 60.0f;
  ImGui::LoadIniSettingsFromMemory(text.data(), text.size());
  ImGui::NewFrame();
  for (const PanelInfo& p : panelInfos()) {
    ImGui::Begin(p.title);
    // A table with saved settings (widths, order, visibility, sorting), as [Table] entries carry.
    if (ImGui::BeginTable("table", 3, ImGuiTableFlags_Resizable | ImGuiTableFlags_Reorderable |
                                          ImGuiTableFlags_Hideable | ImGuiTableFlags_Sortable)) {
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(p.name);
      ImGui::EndTable();
    }
    ImGui::End();
  }
  ImGui::Render();
  std::size_t savedSize = 0;
  const char* saved = ImGui::SaveIniSettingsToMemory(&savedSize);
  const std::string again(saved ? saved : "", saved ? savedSize : 0);
  FUZZ_CHECK(checkImguiIni(again).empty());
  ImGui::DestroyContext(ctx);
  return 0;
}
