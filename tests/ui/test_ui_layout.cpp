// The explorer's first minutes, driven offscreen as a user would: single-key shortcuts after a click
// into a panel (and not while typing), the menu bar never covered, panels tiled when they open.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <catch2/catch.hpp>
#include <string>

#include "ui/commands.hpp"
#include "ui/headless.hpp"
#include "ui/keys.hpp"
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

const ImGuiWindow* window(const char* title) {
  const ImGuiWindow* w = ImGui::FindWindowByName(title);
  REQUIRE(w != nullptr);
  return w;
}
}  // namespace

TEST_CASE("offscreen layout: single-key shortcuts work after a click into the image panel") {
  HeadlessUi& ui = layoutUi();
  AppState s;
  s.ui.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.quant.bits = 4;
  Commands cmd;
  frames(ui, s, cmd, 2);
  const ImGuiWindow* image = window("Image quantization");
  click(ui, s, cmd, image->Pos.x + image->Size.x * 0.5f, image->Pos.y + image->Size.y * 0.5f);
  // The situation of the bug: the image panel has focus and keyboard navigation captures the keyboard.
  REQUIRE(ImGui::GetIO().WantCaptureKeyboard);
  CHECK(GImGui->NavWindow == image);
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
  CHECK(GImGui->NavWindow == image);
}

TEST_CASE("offscreen layout: typing into a text field does not trigger the shortcuts") {
  HeadlessUi& ui = layoutUi();
  AppState s;
  s.ui.synchronous = true;
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
