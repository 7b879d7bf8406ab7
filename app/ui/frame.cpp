// The explorer's frame: menu bar, panel windows from the panel table, status bar with notices,
// help, the in-app file browser and the export dialog.
#include "ui/frame.hpp"

#include "ui/settings.hpp"

#include <imgui.h>
#include <imgui_impl_opengl3.h>
#include <imgui_internal.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <ctime>
#include <cstring>
#include <filesystem>

#include "image/image_io.hpp"
#include "gpu/shader_library.hpp"
#include "ui/derived.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/keys.hpp"
#include "ui/layout.hpp"
#include "ui/panels.hpp"

namespace qviz::ui {
namespace fs = std::filesystem;
using namespace qviz::core;

void exportLevelsFigure(AppState& s, const std::string& path);  // panel_levels.cpp

std::vector<std::string> explorerInputs(const AppState& s) {
  namespace fsys = std::filesystem;
  std::vector<std::string> inputs = {s.doc.imagePath, configDir() + "/settings.json", configDir() + "/imgui.ini"};
  std::error_code ec;
  std::size_t listed = 0;
  for (auto it = fsys::recursive_directory_iterator(gpu::ShaderLibrary::defaultDir(), ec);
       !ec && it != fsys::recursive_directory_iterator() && ++listed < 4096; it.increment(ec))
    if (it->is_regular_file(ec)) inputs.push_back(it->path().string());
  return inputs;
}

void exportView(AppState& s, const std::string& what, const std::string& path) {
  const QuantizedView& v = s.derived.view;
  Status st;
  if (what == "levels") {
    exportLevelsFigure(s, path);
    return;
  }
  if (v.reference.empty()) st = fail("nothing to export: no image is open");
  else if (what == "quantized") {
    if (v.onGpu() && s.derived.gpu) {
      auto img = s.derived.gpu->downloadQuantized();  // one read-back, on request
      st = img ? savePng(*img, path, explorerInputs(s)) : Status(fail(img.error()));
    } else {
      st = savePng(v.quantized, path, explorerInputs(s));
    }
  }
  else if (what == "original") st = savePng(v.reference, path, explorerInputs(s));
  else if (what == "error") {
    Image quantized = v.quantized;
    if (v.onGpu() && s.derived.gpu)
      if (auto img = s.derived.gpu->downloadQuantized()) quantized = std::move(*img);
    auto map = gpu::errorMapReference(v.reference, quantized, errorMapSettings(s.doc));
    st = map ? savePng(*map, path, explorerInputs(s)) : Status(fail(map.error()));
  } else st = fail("unknown view '" + what + "'");
  postNotice(s.ui, st ? "exported the " + what + " view (" + std::to_string(v.reference.width) + "x" +
                            std::to_string(v.reference.height) + ") to " + path
                      : st.error(),
             !st);
}

std::string screenshotName() {
  // A new name each time: a screenshot never replaces an earlier one.
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "qviz-screenshot-%Y%m%d-%H%M%S.png", std::localtime(&t));
  std::string name = buf;
  std::error_code ec;
  for (int i = 2; fs::exists(name, ec); ++i) name = std::string(buf).insert(std::strlen(buf) - 4, "-" + std::to_string(i));
  return name;
}

namespace {
bool isOpenable(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tga";
}

// Returns the menu bar's bottom edge (its height follows the font, so presenter mode changes it).
float drawMenu(AppState& s, UiState& ui, Commands& cmd, const FrameHooks& hooks) {
  if (!ImGui::BeginMainMenuBar()) return ImGui::GetMainViewport()->Pos.y + ImGui::GetFrameHeight();
  const float bottom = ImGui::GetWindowPos().y + ImGui::GetWindowSize().y;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open...", "Ctrl+O")) ui.showFileBrowser = true;
    if (hooks.canOpenSystemDialog && ImGui::MenuItem("Open with the system dialog...")) hooks.openSystemDialog(hooks.user);
    if (ImGui::BeginMenu("Open recent", !ui.recentFiles.empty())) {
      for (const auto& f : ui.recentFiles)
        if (ImGui::MenuItem(f.c_str())) cmd.openImage(f);
      ImGui::EndMenu();
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Save screenshot", "Ctrl+S")) ui.pendingScreenshot = screenshotName();
    for (const char* what : {"quantized", "original", "error", "levels"}) {
      const std::string label = std::string("Export ") + what + (std::string(what) == "levels" ? " grid" : " image") + "...";
      if (ImGui::MenuItem(label.c_str(), std::string(what) == "quantized" ? "Ctrl+E" : nullptr)) {
        ui.exportWhat = what;
        ui.exportPath = std::string("qviz-") + what + ".png";
      }
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) ui.quitRequested = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    if (ImGui::MenuItem("Presenter mode", "F5", ui.presenter)) {
      ui.presenter = !ui.presenter;
      ui.fontScale = ui.presenter ? 2.0f : 1.0f;
    }
    if (ImGui::MenuItem("Larger font", "Ctrl+=")) ui.fontScale = std::min(4.0f, ui.fontScale * 1.25f);
    if (ImGui::MenuItem("Smaller font", "Ctrl+-")) ui.fontScale = std::max(0.5f, ui.fontScale / 1.25f);
    if (ImGui::MenuItem("Fit image", "F")) ui.zoom = ui.panX = ui.panY = 0;
    ImGui::Separator();
    if (ImGui::MenuItem("Reset layout")) ui.resetLayout = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Panels")) {
    for (const auto& p : panelTable()) ImGui::MenuItem(p.title, nullptr, &(ui.open.*(p.open)));
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Shortcuts and help", "F1")) ui.showHelp = true;
    ImGui::EndMenu();
  }
  ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize(s.doc.imagePath.c_str()).x - 16);
  ImGui::TextDisabled("%s", s.doc.imagePath.c_str());
  ImGui::EndMainMenuBar();
  return bottom;
}

// A saved or dragged window whose title bar is under the menu bar (or under the status bar) moves
// back into the work area; its size and x are kept. Before Begin: the live window's position, or
// the one imgui.ini gave it.
void repairPosition(const char* title, const Rect& work) {
  ImVec2 pos;
  if (const ImGuiWindow* w = ImGui::FindWindowByName(title)) pos = w->Pos;
  else if (const ImGuiWindowSettings* ws = ImGui::FindWindowSettings(ImHashStr(title))) pos = ImVec2(ws->Pos.x, ws->Pos.y);
  else return;
  const float lowest = std::max(work.y, work.bottom() - ImGui::GetFrameHeight());
  if (pos.y < work.y || pos.y > lowest) ImGui::SetNextWindowPos(ImVec2(pos.x, std::clamp(pos.y, work.y, lowest)));
}

// The status bar's height: one line, or the latest notice wrapped to the window's width (after the
// dismiss button of an error), so that a long error (a shader's file:line: message at twice the
// font) is read whole. The work area ends above it.
float statusBarHeight(const UiState& ui) {
  const ImGuiStyle& st = ImGui::GetStyle();
  const float oneLine = ImGui::GetFrameHeight() + 4;
  if (ui.notices.empty()) return std::max(oneLine, st.WindowMinSize.y);
  const Notice& n = ui.notices.back();
  float wrap = ImGui::GetMainViewport()->WorkSize.x - st.WindowPadding.x * 2;
  if (n.error) wrap -= ImGui::CalcTextSize("dismiss").x + st.FramePadding.x * 2 + st.ItemSpacing.x;
  const float textH = ImGui::CalcTextSize(n.text.c_str(), nullptr, false, std::max(1.0f, wrap)).y;
  // Never under ImGui's smallest window (it would push the bar off the bottom of the screen).
  if (textH <= ImGui::GetFontSize() * 1.5f) return std::max(oneLine, st.WindowMinSize.y);
  return std::max(st.WindowMinSize.y, std::min(textH + st.WindowPadding.y * 2, ImGui::GetMainViewport()->WorkSize.y * 0.5f));
}

void drawStatusBar(UiState& ui) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  // Errors stay until dismissed; information fades after 6 seconds.
  while (!ui.notices.empty() && !ui.notices.front().error && ui.now - ui.notices.front().time > 6.0) ui.notices.pop_front();
  const float h = statusBarHeight(ui);

  ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x, vp->WorkPos.y + vp->WorkSize.y - h));
  ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, h));
  ImGui::Begin("##status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  if (!ui.notices.empty()) {
    const Notice n = ui.notices.back();
    if (n.error) {
      if (ImGui::SmallButton("dismiss")) ui.notices.pop_back();
      ImGui::SameLine();
    }
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(n.error ? ImVec4(1, 0.45f, 0.4f, 1) : ImVec4(0.7f, 0.9f, 0.7f, 1), "%s", n.text.c_str());
    ImGui::PopTextWrapPos();
  } else {
    ImGui::TextDisabled("F1: help   Ctrl+O: open   drop an image on the window to open it");
  }
  ImGui::End();
}

void drawHelp(UiState& ui) {
  if (!ui.showHelp) return;
  ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 34, 0), ImGuiCond_Appearing);
  if (ImGui::Begin("Help", &ui.showHelp)) {
    ImGui::TextWrapped("QuantizationViz re-quantizes the image live as you move the controls. Every number shown is "
                       "computed by the CPU reference core or by GPU kernels that match it bit for bit.");
    ImGui::Separator();
    // The keys as wide as the widest, the actions wrapped in the rest (nothing clipped).
    if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg)) {
      ImGui::TableSetupColumn("keys", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("action", ImGuiTableColumnFlags_WidthStretch);
      for (const auto& k : shortcuts()) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(k.keys);
        ImGui::TableSetColumnIndex(1);
        ImGui::TextWrapped("%s", k.action);
      }
      ImGui::EndTable();
    }
    ImGui::Separator();
    ImGui::TextWrapped("Image views: mouse wheel zooms around the cursor, drag pans, double-click fits. In the split "
                       "view drag the divider (or shift-drag anywhere). Hover a pixel for its code and error.");
  }
  ImGui::End();
}

void drawFileBrowser(UiState& ui, Commands& cmd) {
  if (!ui.showFileBrowser) return;
  std::error_code ec;
  if (ui.browserDir.empty() || !fs::is_directory(ui.browserDir, ec)) ui.browserDir = fs::current_path(ec).string();
  ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 40, ImGui::GetFontSize() * 28), ImGuiCond_Appearing);
  if (ImGui::Begin("Open image", &ui.showFileBrowser)) {
    ImGui::TextUnformatted(ui.browserDir.c_str());
    if (ImGui::Button("Up")) ui.browserDir = fs::path(ui.browserDir).parent_path().string();
    ImGui::SameLine();
    if (ImGui::Button("Home"))
      if (const char* home = std::getenv("HOME")) ui.browserDir = home;
    ImGui::SameLine();
    ImGui::TextDisabled("PNG, JPEG, BMP, TGA (recognised by content)");
    ImGui::BeginChild("entries", ImVec2(0, 0), true);
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(ui.browserDir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      if (it->is_directory(ec) || isOpenable(it->path())) entries.push_back(*it);
    }
    std::sort(entries.begin(), entries.end(), [](const fs::directory_entry& a, const fs::directory_entry& b) {
      std::error_code e;
      const bool da = a.is_directory(e), db = b.is_directory(e);
      return da != db ? da : a.path().filename() < b.path().filename();
    });
    for (const auto& e : entries) {
      const bool dir = e.is_directory(ec);
      const std::string label = (dir ? "[dir]  " : "       ") + e.path().filename().string();
      if (ImGui::Selectable(label.c_str(), false, ImGuiSelectableFlags_AllowDoubleClick) &&
          (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) || !dir)) {
        if (dir) ui.browserDir = e.path().string();
        else {
          cmd.openImage(e.path().string());
          ui.showFileBrowser = false;
        }
      }
    }
    if (ec) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "cannot list this folder: %s", ec.message().c_str());
    ImGui::EndChild();
  }
  ImGui::End();
}

void drawExportDialog(UiState& ui, Commands& cmd) {
  if (ui.exportWhat.empty()) return;
  bool open = true;
  ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 30, 0), ImGuiCond_Appearing);
  if (ImGui::Begin("Export", &open, ImGuiWindowFlags_NoCollapse)) {
    ImGui::Text("Export the %s %s at native resolution as PNG", ui.exportWhat.c_str(),
                ui.exportWhat == "levels" ? "grid" : "image");
    char buf[1024];
    std::snprintf(buf, sizeof buf, "%s", ui.exportPath.c_str());
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputText("##path", buf, sizeof buf)) ui.exportPath = buf;
    std::error_code ec;
    const bool exists = fs::exists(ui.exportPath, ec);
    if (exists) ImGui::TextColored(ImVec4(1, 0.75f, 0.3f, 1), "%s exists: saving replaces it", ui.exportPath.c_str());
    if (ImGui::Button(exists ? "Replace" : "Save")) {
      const std::string what = ui.exportWhat, path = ui.exportPath;
      cmd.action("export", [what, path](AppState& st) { exportView(st, what, path); });
      open = false;
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) open = false;
  }
  ImGui::End();
  if (!open) ui.exportWhat.clear();
}
}  // namespace

void drawFrame(AppState& s, Commands& cmd, const FrameHooks& hooks) {
  UiState& ui = s.ui;
  handleShortcuts(s, ui, cmd);
  const float menuBottom = drawMenu(s, ui, cmd, hooks);
  // The work area: below the menu bar, above the status bar.
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const float statusH = statusBarHeight(ui);
  const Rect work{vp->Pos.x, menuBottom, vp->Size.x, std::max(1.0f, vp->Pos.y + vp->Size.y - statusH - menuBottom)};
  std::vector<PanelSlot> slots;
  std::uint32_t openMask = 0;
  for (std::size_t i = 0; i < panelTable().size(); ++i)
    if (ui.open.*(panelTable()[i].open)) {
      slots.push_back(panelTable()[i].slot);
      openMask |= 1u << i;
    }
  // At start a saved layout wins (the tiles are only the first-use layout); afterwards the tiles
  // are applied whenever a panel opens or closes, the font or presenter mode changes, or on reset.
  const bool atStart = ui.laidOutPanels == 0xffffffffu;
  const bool reflow = ui.resetLayout || (!atStart && (openMask != ui.laidOutPanels || ImGui::GetFontSize() != ui.laidOutFont ||
                                                      ui.presenter != ui.laidOutPresenter || statusH != ui.laidOutStatusH));
  // Presenter mode: a panel just opened from the menu is the one to show.
  if (ui.presenter && !atStart)
    if (const std::uint32_t opened = openMask & ~ui.laidOutPanels; opened) ui.presenterFeatured = std::countr_zero(opened);
  ui.laidOutPanels = openMask;
  ui.laidOutFont = ImGui::GetFontSize();  // the font in use: a new scale applies between frames
  ui.laidOutPresenter = ui.presenter;
  ui.laidOutStatusH = statusH;
  ui.resetLayout = false;
  std::vector<PresenterTile> tiles;
  if (ui.presenter) {
    std::size_t featured = slots.size();
    for (std::size_t i = 0, k = 0; i < panelTable().size(); ++i)
      if (openMask >> i & 1) {
        if (int(i) == ui.presenterFeatured) featured = k;
        ++k;
      }
    tiles = tilePresenter(slots, work, featured, ImGui::GetFrameHeight());
  } else {
    for (const Rect& r : tilePanels(slots, work)) tiles.push_back({r, false});
  }
  std::size_t tile = 0;
  for (std::size_t i = 0; i < panelTable().size(); ++i) {
    const PanelEntry& p = panelTable()[i];
    bool& open = ui.open.*(p.open);
    if (!open) continue;
    const PresenterTile t = tiles[tile++];
    const ImGuiCond cond = reflow ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
    ImGui::SetNextWindowPos(ImVec2(t.rect.x, t.rect.y), cond);
    // A collapsed panel opens to the featured panel's size (the re-flow then puts it there).
    ImGui::SetNextWindowSize(t.collapsed && tiles.size() > 1 ? ImVec2(t.rect.w, work.h * 0.5f) : ImVec2(t.rect.w, t.rect.h), cond);
    ImGui::SetNextWindowCollapsed(t.collapsed, cond);
    if (!reflow) repairPosition(p.title, work);
    const bool expanded = ImGui::Begin(p.title, &open);
    const bool collapsed = ImGui::IsWindowCollapsed();
    if (expanded) p.draw(s, ui, cmd);
    ImGui::End();
    // Presenter mode: a click that expands a collapsed title bar features that panel.
    const std::uint32_t bit = 1u << i;
    if (ui.presenter && !reflow && !collapsed && (ui.presenterCollapsed & bit)) {
      ui.presenterFeatured = int(i);
      ui.resetLayout = true;
    }
    ui.presenterCollapsed = collapsed ? ui.presenterCollapsed | bit : ui.presenterCollapsed & ~bit;
  }
  drawStatusBar(ui);
  drawHelp(ui);
  drawFileBrowser(ui, cmd);
  drawExportDialog(ui, cmd);
  if (ui.quitRequested && hooks.requestQuit) hooks.requestQuit(hooks.user);
}

void applyFontScale(const UiState& ui, const ImGuiStyle& baseStyle) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  const float size = 15.0f * ui.fontScale;
  const char* ttf = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::error_code ec;
  if (fs::exists(ttf, ec)) {
    io.Fonts->AddFontFromFileTTF(ttf, size);
  } else {
    ImFontConfig cfg;
    cfg.SizePixels = 13.0f * ui.fontScale;
    io.Fonts->AddFontDefault(&cfg);
  }
  // Font 1: monospace for the shader editor and logs (the default font when DejaVu is missing).
  const char* mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
  if (fs::exists(mono, ec)) io.Fonts->AddFontFromFileTTF(mono, size * 0.93f);
  io.Fonts->Build();
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  ImGui::GetStyle() = baseStyle;
  ImGui::GetStyle().ScaleAllSizes(ui.fontScale);
}

}  // namespace qviz::ui
