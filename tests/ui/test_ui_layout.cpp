// The explorer's first minutes, driven offscreen as a user would: single-key shortcuts after a click
// into a panel (and not while typing), the menu bar never covered, panels tiled when they open.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "ui/commands.hpp"
#include "ui/headless.hpp"
#include "ui/keys.hpp"
#include "ui/layout.hpp"
#include "ui/panels.hpp"

using namespace qviz;
using namespace qviz::ui;

namespace {
HeadlessUi& layoutUi() {
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1600, 1000);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}

void frames(HeadlessUi& ui, AppState& s, Commands& cmd, int n) {
  REQUIRE(ui.run(s, cmd, n, [](int, ImGuiIO& io) {
              io.MouseDown[0] = false;
              for (bool& k : io.KeysDown) k = false;
            }).ok());
}

// A left click at (x, y): down one frame, up the next, then one quiet frame.
void click(HeadlessUi& ui, AppState& s, Commands& cmd, float x, float y) {
  REQUIRE(ui.run(s, cmd, 3, [x, y](int f, ImGuiIO& io) {
              io.MousePos = ImVec2(x, y);
              io.MouseDown[0] = f == 0;
            }).ok());
}

// A key pressed for one frame (with the character it types), released, then a frame that applies
// the commands it queued.
void press(HeadlessUi& ui, AppState& s, Commands& cmd, int key, char typed = 0) {
  REQUIRE(ui.run(s, cmd, 3, [key, typed](int f, ImGuiIO& io) {
              io.KeysDown[key] = f == 0;
              if (f == 0 && typed) io.AddInputCharacter(unsigned(typed));
            }).ok());
}

// The menu bar's bottom edge, from ImGui's own window.
float menuBottom() {
  const ImGuiWindow* w = ImGui::FindWindowByName("##MainMenuBar");
  REQUIRE(w != nullptr);
  return w->Pos.y + w->Size.y;
}

Rect rectOf(const ImGuiWindow* w) { return {w->Pos.x, w->Pos.y, w->Size.x, w->Size.y}; }

// Every open panel's window is inside the work area (below the menu bar, above the status bar)
// and no two overlap.
void checkTiled(const AppState& s) {
  const ImGuiWindow* status = ImGui::FindWindowByName("##status");
  REQUIRE(status != nullptr);
  const float top = menuBottom();
  REQUIRE(top >= ImGui::GetFontSize());
  std::vector<std::pair<std::string, Rect>> open;
  for (const PanelEntry& p : panelTable())
    if (s.ui.open.*(p.open)) {
      const ImGuiWindow* w = ImGui::FindWindowByName(p.title);
      REQUIRE(w != nullptr);
      REQUIRE(w->Active);
      open.emplace_back(p.name, rectOf(w));
    }
  for (std::size_t i = 0; i < open.size(); ++i) {
    INFO(open[i].first << " at " << open[i].second.x << "," << open[i].second.y << " " << open[i].second.w << "x"
                       << open[i].second.h << ", menu bar bottom " << top << ", status bar top " << status->Pos.y);
    CHECK(open[i].second.y >= top);
    CHECK(open[i].second.bottom() <= status->Pos.y);
    CHECK(open[i].second.x >= 0);
    CHECK(open[i].second.right() <= ImGui::GetIO().DisplaySize.x);
    for (std::size_t j = i + 1; j < open.size(); ++j) {
      INFO("and " << open[j].first);
      CHECK(!overlaps(open[i].second, open[j].second));
    }
  }
}

const ImGuiWindow* window(const char* title) {
  const ImGuiWindow* w = ImGui::FindWindowByName(title);
  REQUIRE(w != nullptr);
  return w;
}
}  // namespace

TEST_CASE("offscreen layout: single-key shortcuts work after a click into the image panel") {
  HeadlessUi& ui = layoutUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.quant.bits = 4;
  Commands cmd;
  frames(ui, s, cmd, 2);
  const ImGuiWindow* image = window("Image quantization");
  click(ui, s, cmd, image->Pos.x + image->Size.x * 0.5f, image->Pos.y + image->Size.y * 0.5f);
  // The situation of the bug: the image panel has focus and keyboard navigation captures the keyboard.
  REQUIRE(ImGui::GetIO().WantCaptureKeyboard);
  REQUIRE(GImGui->NavWindow != nullptr);
  CHECK(GImGui->NavWindow->RootWindow == image);  // the panel or one of its image views
  CHECK(!textInputActive());
  press(ui, s, cmd, GLFW_KEY_2);
  CHECK(s.doc.quant.bits == 2);
  press(ui, s, cmd, GLFW_KEY_7);
  CHECK(s.doc.quant.bits == 7);
  press(ui, s, cmd, GLFW_KEY_UP);
  CHECK(s.doc.quant.bits == 8);
  press(ui, s, cmd, GLFW_KEY_UP);  // 8 bits is the image's depth
  CHECK(s.doc.quant.bits == 8);
  press(ui, s, cmd, GLFW_KEY_DOWN);
  press(ui, s, cmd, GLFW_KEY_DOWN);
  CHECK(s.doc.quant.bits == 6);
  REQUIRE(s.doc.quant.rounding == core::Rounding::Nearest);
  press(ui, s, cmd, GLFW_KEY_R);
  CHECK(s.doc.quant.rounding == core::Rounding(1));
  REQUIRE(s.doc.view == ViewMode(0));
  press(ui, s, cmd, GLFW_KEY_V);
  CHECK(s.doc.view == ViewMode(1));
  s.ui.zoom = 3;
  s.ui.panX = 10;
  press(ui, s, cmd, GLFW_KEY_F);
  CHECK(s.ui.zoom == 0);
  CHECK(s.ui.panX == 0);
  // Still focused on the panel after all that.
  CHECK(GImGui->NavWindow->RootWindow == image);
}

TEST_CASE("offscreen layout: typing into a text field does not trigger the shortcuts") {
  HeadlessUi& ui = layoutUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.quant.bits = 4;
  s.ui.exportWhat = "quantized";
  s.ui.exportPath = "x.png";
  Commands cmd;
  frames(ui, s, cmd, 2);
  // The export dialog: a line of text, then the path field across the window.
  const ImGuiWindow* dlg = window("Export");
  const ImGuiStyle& st = ImGui::GetStyle();
  const float fieldY = dlg->Pos.y + dlg->TitleBarHeight() + st.WindowPadding.y + ImGui::GetTextLineHeight() +
                       st.ItemSpacing.y + ImGui::GetFrameHeight() * 0.5f;
  click(ui, s, cmd, dlg->Pos.x + dlg->Size.x * 0.6f, fieldY);
  REQUIRE(textInputActive());
  press(ui, s, cmd, GLFW_KEY_2, '2');
  press(ui, s, cmd, GLFW_KEY_R, 'r');
  press(ui, s, cmd, GLFW_KEY_V, 'v');
  press(ui, s, cmd, GLFW_KEY_UP);
  press(ui, s, cmd, GLFW_KEY_F, 'f');
  CHECK(s.ui.exportPath == "x.png2rvf");
  CHECK(s.doc.quant.bits == 4);
  CHECK(s.doc.quant.rounding == core::Rounding::Nearest);
  CHECK(s.doc.view == ViewMode(0));
  // Done typing (a click elsewhere): the shortcuts are back.
  const ImGuiWindow* image = window("Image quantization");
  click(ui, s, cmd, image->Pos.x + image->Size.x * 0.3f, image->Pos.y + image->Size.y * 0.5f);
  CHECK(!textInputActive());
  press(ui, s, cmd, GLFW_KEY_3);
  CHECK(s.doc.quant.bits == 3);
  s.ui.exportWhat.clear();
  frames(ui, s, cmd, 1);
}

TEST_CASE("layout: the tiles of every set of open panels fill the work area without overlapping") {
  const Rect work{0, 23, 1600, 977 - 23};
  const auto& infos = panelInfos();
  REQUIRE(infos.size() < 16);
  for (std::uint32_t mask = 1; mask < (1u << infos.size()); ++mask) {
    std::vector<PanelSlot> slots;
    for (std::size_t i = 0; i < infos.size(); ++i)
      if (mask >> i & 1) slots.push_back(infos[i].slot);
    const auto tiles = tilePanels(slots, work);
    REQUIRE(tiles.size() == slots.size());
    double area = 0;
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      INFO("panels " << mask << " tile " << i);
      CHECK(tiles[i].x >= work.x);
      CHECK(tiles[i].y >= work.y);
      CHECK(tiles[i].right() <= work.right());
      CHECK(tiles[i].bottom() <= work.bottom());
      CHECK(tiles[i].w >= 400);
      CHECK(tiles[i].h >= 150);
      area += double(tiles[i].w) * tiles[i].h;
      for (std::size_t j = i + 1; j < tiles.size(); ++j) CHECK(!overlaps(tiles[i], tiles[j]));
    }
    CHECK(area == double(work.w) * work.h);  // no gaps either
  }
  // The first-use set: the image on the left, metrics and histograms stacked on the right.
  const auto first = tilePanels({PanelSlot::Main, PanelSlot::Side, PanelSlot::Side}, work);
  CHECK(first[0] == Rect{0, 23, 1024, 954});
  CHECK(first[1] == Rect{1024, 23, 576, 477});
  CHECK(first[2] == Rect{1024, 500, 576, 477});
  CHECK(!overlaps(Rect{0, 0, 10, 10}, Rect{10, 0, 10, 10}));
  CHECK(overlaps(Rect{0, 0, 10, 10}, Rect{9, 9, 10, 10}));
}

TEST_CASE("offscreen layout: the first layout is below the menu bar, in normal and presenter mode") {
  HeadlessUi& ui = layoutUi();
  for (const bool presenter : {false, true}) {
    INFO("presenter " << presenter);
    REQUIRE(ui.restartImGui().ok());
    AppState s;
    s.synchronous = true;
    s.ui.presenter = presenter;
    s.ui.fontScale = presenter ? 2.0f : 1.0f;
    s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
    Commands cmd;
    frames(ui, s, cmd, 1);  // the very first frame, when ImGui's work area still starts at y = 0
    checkTiled(s);
    frames(ui, s, cmd, 2);
    checkTiled(s);
    CHECK(window("Image quantization")->Pos.y == menuBottom());
    // What imgui.ini saves is the same.
    const std::string ini = ImGui::SaveIniSettingsToMemory();
    const std::string expect = "[Window][Image quantization]\nPos=0," + std::to_string(int(menuBottom())) + "\n";
    CHECK(ini.find(expect) != std::string::npos);
  }
}

TEST_CASE("offscreen layout: a saved layout that covers the menu bar is moved below it, its sizes kept") {
  HeadlessUi& ui = layoutUi();
  REQUIRE(ui.restartImGui("[Window][Image quantization]\nPos=0,0\nSize=900,700\nCollapsed=0\n\n"
                          "[Window][Histograms]\nPos=950,8\nSize=500,300\nCollapsed=0\n\n"
                          "[Window][Metrics]\nPos=950,400\nSize=500,300\nCollapsed=0\n\n").ok());
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  frames(ui, s, cmd, 1);
  const float top = menuBottom();
  CHECK(rectOf(window("Image quantization")) == Rect{0, top, 900, 700});
  CHECK(rectOf(window("Histograms")) == Rect{950, top, 500, 300});
  CHECK(rectOf(window("Metrics")) == Rect{950, 400, 500, 300});  // not covering: left alone
  // Dragged over the menu bar later: back under it on the next frame.
  ImGui::SetWindowPos("Metrics", ImVec2(950, 2));
  frames(ui, s, cmd, 1);
  CHECK(window("Metrics")->Pos.y == top);
  // View > Reset layout: the tiles.
  s.ui.resetLayout = true;
  frames(ui, s, cmd, 1);
  checkTiled(s);
  CHECK(rectOf(window("Image quantization")) == Rect{0, top, 1024, window("Image quantization")->Size.y});
}

TEST_CASE("offscreen layout: panels opened from the menu are tiled, never on top of another") {
  HeadlessUi& ui = layoutUi();
  REQUIRE(ui.restartImGui().ok());
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.lora.basePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.lora.targetPath = std::string(QVIZ_TEST_DATA) + "/astronaut.png";
  Commands cmd;
  frames(ui, s, cmd, 2);
  checkTiled(s);
  // Opened one after another as from the Panels menu (the issue: Weights landed on Histograms),
  // then closed again in another order.
  for (const char* name : {"weights", "levels", "memory", "number-line", "qlora", "compare", "concepts", "shaders"}) {
    INFO("opened " << name);
    s.ui.open.*(findPanel(name)->open) = true;
    frames(ui, s, cmd, 2);
    checkTiled(s);
  }
  for (const char* name : {"image", "levels", "metrics", "qlora", "shaders", "concepts"}) {
    INFO("closed " << name);
    s.ui.open.*(findPanel(name)->open) = false;
    frames(ui, s, cmd, 2);
    checkTiled(s);
  }
  // Presenter mode: the larger menu bar, still nothing under it.
  s.ui.presenter = true;
  s.ui.fontScale = 2;
  frames(ui, s, cmd, 2);
  checkTiled(s);
}

TEST_CASE("layout: presenter mode shows at most two panels large, the rest as title bars") {
  const Rect work{0, 40, 1600, 960 - 40};
  const auto& infos = panelInfos();
  for (std::uint32_t mask = 1; mask < (1u << infos.size()); ++mask) {
    std::vector<PanelSlot> slots;
    for (std::size_t i = 0; i < infos.size(); ++i)
      if (mask >> i & 1) slots.push_back(infos[i].slot);
    for (std::size_t featured : {std::size_t(0), slots.size() - 1, std::size_t(99)}) {
      const auto tiles = tilePresenter(slots, work, featured, 34);
      REQUIRE(tiles.size() == slots.size());
      std::size_t large = 0;
      for (std::size_t i = 0; i < tiles.size(); ++i) {
        INFO("panels " << mask << " featured " << featured << " tile " << i);
        const Rect& r = tiles[i].rect;
        CHECK(r.x >= work.x);
        CHECK(r.y >= work.y);
        CHECK(r.right() <= work.right());
        CHECK(r.bottom() <= work.bottom());
        if (tiles[i].collapsed) {
          CHECK(r.h == 34);
        } else {
          ++large;
          CHECK(r.w >= 600);
          CHECK(r.h >= 450);
        }
        for (std::size_t j = i + 1; j < tiles.size(); ++j) CHECK(!overlaps(r, tiles[j].rect));
      }
      // Two with a panel on the stage (image, levels or QLoRA), else one.
      const bool stage = std::count(slots.begin(), slots.end(), PanelSlot::Side) < std::ptrdiff_t(slots.size());
      CHECK(large == (stage ? std::min<std::size_t>(2, slots.size()) : 1));
    }
  }
  // Image, metrics, histograms: the image on the stage, the featured panel beside it.
  const auto t = tilePresenter({PanelSlot::Main, PanelSlot::Side, PanelSlot::Side}, work, 2, 34);
  CHECK(t[0].rect == Rect{0, 40, 992, 920});
  CHECK(t[2].rect == Rect{992, 40, 608, 920 - 34});
  CHECK(!t[2].collapsed);
  CHECK(t[1].rect == Rect{992, 926, 608, 34});
  CHECK(t[1].collapsed);
}

TEST_CASE("offscreen layout: presenter mode has its own layout, and a click on a title bar features that panel") {
  HeadlessUi& ui = layoutUi();
  REQUIRE(ui.restartImGui().ok());
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  frames(ui, s, cmd, 2);
  press(ui, s, cmd, GLFW_KEY_F5);
  REQUIRE(s.ui.presenter);
  frames(ui, s, cmd, 2);
  checkTiled(s);
  const ImGuiWindow* image = window("Image quantization");
  const ImGuiWindow* metrics = window("Metrics");
  const ImGuiWindow* histograms = window("Histograms");
  CHECK(image->Size.x == std::floor(1600 * 0.62f));
  CHECK(image->Pos.y == menuBottom());
  CHECK(!image->Collapsed);
  CHECK(!metrics->Collapsed);
  CHECK(metrics->Size.y > 600);
  CHECK(histograms->Collapsed);
  // Open the histograms with a click on their title bar's arrow: they take the metrics' place.
  const float titleH = ImGui::GetFrameHeight();
  click(ui, s, cmd, histograms->Pos.x + ImGui::GetStyle().FramePadding.x + ImGui::GetFontSize() * 0.5f,
        histograms->Pos.y + titleH * 0.5f);
  frames(ui, s, cmd, 2);
  CHECK(!histograms->Collapsed);
  CHECK(histograms->Size.y > 600);
  CHECK(metrics->Collapsed);
  checkTiled(s);
  // A panel opened from the menu in presenter mode is the one shown.
  s.ui.open.weights = true;
  frames(ui, s, cmd, 2);
  CHECK(!window("Weights")->Collapsed);
  CHECK(window("Weights")->Size.y > 600);
  CHECK(histograms->Collapsed);
  checkTiled(s);
  // Back to the desktop layout: everything expanded and tiled again.
  press(ui, s, cmd, GLFW_KEY_F5);
  frames(ui, s, cmd, 2);
  CHECK(!s.ui.presenter);
  CHECK(!metrics->Collapsed);
  CHECK(!histograms->Collapsed);
  checkTiled(s);
  // Started in presenter mode (saved settings, no re-flow yet): the title bars work the same.
  REQUIRE(ui.restartImGui().ok());
  AppState p;
  p.synchronous = true;
  p.ui.presenter = true;
  p.ui.fontScale = 2;
  p.doc.imagePath = s.doc.imagePath;
  frames(ui, p, cmd, 2);
  checkTiled(p);
  const ImGuiWindow* h2 = window("Histograms");
  REQUIRE(h2->Collapsed);
  click(ui, p, cmd, h2->Pos.x + ImGui::GetStyle().FramePadding.x + ImGui::GetFontSize() * 0.5f,
        h2->Pos.y + ImGui::GetFrameHeight() * 0.5f);
  frames(ui, p, cmd, 2);
  CHECK(!h2->Collapsed);
  CHECK(h2->Size.y > 600);
  CHECK(window("Metrics")->Collapsed);
  checkTiled(p);
}

TEST_CASE("labels: one bit is singular, and the path control says where the user shader runs") {
  char buf[32];
  std::snprintf(buf, sizeof buf, bitsFormat(1), 1);
  CHECK(std::string(buf) == "1 bit");
  std::snprintf(buf, sizeof buf, bitsFormat(2), 2);
  CHECK(std::string(buf) == "2 bits");
  CHECK(std::string(computePathLabel(ComputePath::Cpu, false)) == "CPU reference");
  CHECK(std::string(computePathLabel(ComputePath::Cpu, true)) == "GPU (user shader)");
  CHECK(std::string(computePathLabel(ComputePath::GpuCompute, true)) == "GPU compute");
  CHECK(std::string(computePathLabel(ComputePath::GpuFragment, false)) == "GPU fragment");
}

TEST_CASE("panel list: ids follow kPanels, and a one-panel figure's layout comes from its trait") {
  static_assert(panelId("image") == 0 && panelId("levels") == 1 && panelId("shaders") == kPanelCount - 1);
  REQUIRE(panelInfos().size() == kPanelCount);
  std::vector<std::string> withSide, window;
  for (const PanelInfo& p : panelInfos()) {
    CHECK(panelId(p.name) == std::size_t(&p - panelInfos().data()));
    if (p.solo == PanelSolo::WithSide) withSide.push_back(p.name);
    if (p.solo == PanelSolo::Window) window.push_back(p.name);
  }
  // What `--panel NAME` kept open beside the panel when it compared names.
  CHECK(withSide == std::vector<std::string>{"image", "levels", "metrics", "histogram"});
  CHECK(window == std::vector<std::string>{"equal-bits", "qlora"});
  CHECK_THROWS_AS(panelId("nope"), std::out_of_range);
}
