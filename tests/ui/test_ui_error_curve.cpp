// The Error against bits panel offscreen (its point at the current setting is the Metrics panel's
// PSNR and SSIM; restart on a new image, stop on close, resume on open; the window is woken), the
// pixel inspector's place, and a tap on a combo (press and release between two frames).
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "metrics/error_curve.hpp"
#include "metrics/metrics.hpp"
#include "image/image_io.hpp"
#include "ui/commands.hpp"
#include "ui/error_curve_job.hpp"
#include "ui/frame_pacing.hpp"
#include "ui/headless.hpp"
#include "ui/layout.hpp"
#include "ui/panels.hpp"

using namespace qviz;
using namespace qviz::ui;

namespace {
HeadlessUi& curveUi() {
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1600, 1000);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}

std::string data(const char* name) { return std::string(QVIZ_TEST_DATA) + "/" + name; }

// Frames with the mouse far away and nothing pressed.
core::Image quiet(HeadlessUi& ui, AppState& s, Commands& cmd, int n) {
  auto r = ui.run(s, cmd, n, [](int, ImGuiIO& io) {
    io.MousePos = ImVec2(-1000, -1000);
    io.MouseDown[0] = false;
    for (bool& k : io.KeysDown) k = false;
  });
  REQUIRE(r.ok());
  return std::move(*r);
}

const core::CurvePoint& currentPoint(const AppState& s) {
  const auto mode = core::curveModeIndex(s.doc.quant);
  REQUIRE(mode.has_value());
  const core::CurvePoint* p = s.derived.errorCurve->curves.at(*mode, s.doc.quant.bits);
  REQUIRE(p != nullptr);
  return *p;
}

std::size_t countColour(const core::Image& shot, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  std::size_t n = 0;
  for (std::size_t p = 0; p < shot.pixelCount(); ++p)
    n += shot.u8[p * 3] == r && shot.u8[p * 3 + 1] == g && shot.u8[p * 3 + 2] == b;
  return n;
}
}  // namespace

TEST_CASE("error curve panel: the point at the current setting is the Metrics panel's PSNR and SSIM") {
  HeadlessUi& ui = curveUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = data("chelsea.png");
  s.doc.path = ComputePath::Cpu;  // the Metrics panel's numbers from the CPU core
  s.ui.open.errorCurve = true;
  Commands cmd;
  struct Setting {
    int bits;
    core::Rounding r;
    core::Dither d;
    std::uint32_t seed;
  };
  for (const Setting& k : {Setting{3, core::Rounding::Truncate, core::Dither::None, 0},
                           Setting{5, core::Rounding::Stochastic, core::Dither::None, 7},
                           Setting{1, core::Rounding::Nearest, core::Dither::Ordered, 7},
                           Setting{2, core::Rounding::Nearest, core::Dither::FloydSteinberg, 7},
                           Setting{6, core::Rounding::Drop, core::Dither::None, 7}}) {
    cmd.edit("setting", [k](Document& d) {
      d.quant.bits = k.bits;
      d.quant.rounding = k.r;
      d.quant.dither = k.d;
      d.quant.seed = k.seed;
    });
    const core::Image shot = quiet(ui, s, cmd, 2);
    INFO(core::roundingName(k.r) << " " << core::ditherName(k.d) << " " << k.bits);
    const ErrorCurveJob& j = *s.derived.errorCurve;
    CHECK(j.curves.complete());
    CHECK(!j.running);
    REQUIRE(s.derived.view.metricsCurrent());
    const core::CurvePoint& p = currentPoint(s);
    REQUIRE(s.derived.view.metrics.psnrDb.has_value());
    CHECK(p.psnrDb == s.derived.view.metrics.psnrDb);
    CHECK(p.ssim == s.derived.view.metrics.ssim);
    CHECK(p.mse == s.derived.view.metrics.mse);
    const ImGuiWindow* w = ImGui::FindWindowByName("Error against bits");
    REQUIRE(w != nullptr);
    CHECK(w->Active);
    // Every curve's colour is on screen (legend swatches and the points).
    const std::uint8_t colours[7][3] = {{90, 170, 255}, {255, 150, 60}, {110, 210, 110}, {240, 90, 90},
                                        {195, 135, 255}, {240, 215, 80}, {80, 225, 225}};
    for (const auto& c : colours) CHECK(countColour(shot, c[0], c[1], c[2]) > 20);
  }
  // The whole set equals the core's on the same image.
  const core::Image img = core::loadImage(data("chelsea.png")).value();
  core::UniformSettings base;
  base.seed = 7;
  const core::ErrorCurves want = core::computeErrorCurves(core::quantizerReference(img, base), base).value();
  for (std::size_t m = 0; m < want.points.size(); ++m)
    for (int b = 1; b <= 8; ++b) {
      CHECK(s.derived.errorCurve->curves.at(m, b)->psnrDb == want.at(m, b)->psnrDb);
      CHECK(s.derived.errorCurve->curves.at(m, b)->ssim == want.at(m, b)->ssim);
    }
}

TEST_CASE("error curve panel: a new image restarts it, closing stops it, opening resumes it; the window is woken") {
  HeadlessUi& ui = curveUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = data("chelsea.png");
  s.doc.path = ComputePath::Cpu;
  Commands cmd;
  // Closed: nothing is computed.
  quiet(ui, s, cmd, 2);
  CHECK(!s.derived.errorCurve->key.has_value());
  CHECK(s.derived.errorCurve->curves.points.empty());
  std::atomic<int> wakes{0};
  s.derived.setWake([&wakes] { ++wakes; });
  s.ui.open.errorCurve = true;
  quiet(ui, s, cmd, 1);
  CHECK(s.derived.errorCurve->curves.complete());
  CHECK(wakes >= 1);  // the final post wakes the window
  const double chelseaPsnr = *s.derived.errorCurve->curves.at(0, 4)->psnrDb;
  // Another image: the curves start again from nothing, for that image.
  cmd.openImage(data("astronaut.png"));
  quiet(ui, s, cmd, 1);
  CHECK(s.derived.errorCurve->key->path == data("astronaut.png"));
  CHECK(s.derived.errorCurve->curves.complete());
  const core::Image astro = core::loadImage(data("astronaut.png")).value();
  const core::Image q = core::quantizeUniform(astro, core::curveSettings({}, core::errorCurveModes()[0], 4)).value();
  CHECK(*s.derived.errorCurve->curves.at(0, 4)->psnrDb == *core::psnrFromMse(core::meanSquaredError(astro, q), 255));
  CHECK(*s.derived.errorCurve->curves.at(0, 4)->psnrDb != chelseaPsnr);
  // Without waiting: open on a new load, close at once; the job stops (or has finished) and posts
  // what it has; opening again completes the same numbers.
  s.synchronous = false;
  cmd.openImage(data("chelsea.png"));
  quiet(ui, s, cmd, 1);
  s.ui.open.errorCurve = false;
  quiet(ui, s, cmd, 1);
  s.derived.errorCurve->worker->waitIdle();
  quiet(ui, s, cmd, 1);
  CHECK(!s.derived.errorCurve->running);
  const std::size_t doneWhenClosed = s.derived.errorCurve->curves.stepsDone();
  s.ui.open.errorCurve = true;
  s.synchronous = true;
  quiet(ui, s, cmd, 1);
  CHECK(s.derived.errorCurve->curves.stepsDone() >= doneWhenClosed);
  CHECK(s.derived.errorCurve->curves.complete());
  CHECK(*s.derived.errorCurve->curves.at(0, 4)->psnrDb == chelseaPsnr);
  // After the wake is taken away, no job calls it.
  s.derived.setWake({});
  const int before = wakes;
  cmd.edit("seed", [](Document& d) { d.quant.seed = 99; });  // recomputes the stochastic curve only
  quiet(ui, s, cmd, 1);
  CHECK(s.derived.errorCurve->curves.complete());
  CHECK(wakes == before);
}

TEST_CASE("error curve panel: the E key opens and closes it; presenter mode draws it") {
  HeadlessUi& ui = curveUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = data("chelsea.png");
  s.doc.path = ComputePath::Cpu;
  Commands cmd;
  quiet(ui, s, cmd, 1);
  auto press = [&](int key) {
    REQUIRE(ui.run(s, cmd, 3, [key](int f, ImGuiIO& io) {
                io.MousePos = ImVec2(-1000, -1000);
                io.KeysDown[key] = f == 0;
              }).ok());
  };
  press(GLFW_KEY_E);
  CHECK(s.ui.open.errorCurve);
  press(GLFW_KEY_E);
  CHECK(!s.ui.open.errorCurve);
  s.ui.open.errorCurve = true;
  s.ui.presenter = true;
  s.ui.fontScale = 2.0f;
  s.ui.presenterFeatured = int(findPanel("error-curve") - panelTable().data());
  quiet(ui, s, cmd, 3);
  const ImGuiWindow* w = ImGui::FindWindowByName("Error against bits");
  REQUIRE(w != nullptr);
  CHECK(w->Active);
  CHECK(!w->Collapsed);
  CHECK(w->Size.y > 500);
}

TEST_CASE("pixel inspector: its tooltip stays inside the image panel, clear of the other panels' title bars") {
  HeadlessUi& ui = curveUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = data("chelsea.png");
  s.doc.path = ComputePath::Cpu;
  Commands cmd;
  quiet(ui, s, cmd, 3);
  const ImGuiWindow* image = ImGui::FindWindowByName("Image quantization");
  REQUIRE(image != nullptr);
  const ImRect panel = image->Rect();
  // The quantized view (a child window) and the picture fitted in it (451x300, centred).
  const ImGuiWindow* view = nullptr;
  for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
    if (std::string(w->Name).rfind("Image quantization/quant_", 0) == 0) view = w;
  REQUIRE(view != nullptr);
  const float scale = std::min(view->Size.x / 451.0f, view->Size.y / 300.0f);
  const ImVec2 c((view->Pos.x + view->Size.x * 0.5f), (view->Pos.y + view->Size.y * 0.5f));
  const ImRect pic(ImVec2(c.x - 225 * scale + 4, c.y - 150 * scale + 4), ImVec2(c.x + 225 * scale - 4, c.y + 150 * scale - 4));
  // The picture's corners: right and bottom edges are where a tooltip below and right of the cursor
  // used to run into the side column (Metrics, Histograms) and its title bars.
  for (const ImVec2 at : {ImVec2(pic.Max.x, pic.Min.y), ImVec2(pic.Max.x, pic.Max.y), ImVec2(pic.Min.x, pic.Max.y),
                          ImVec2(pic.Min.x, pic.Min.y)}) {
    REQUIRE(ui.run(s, cmd, 3, [at](int, ImGuiIO& io) {
                io.MousePos = at;
                io.MouseDown[0] = false;
              }).ok());
    const ImGuiWindow* tip = ImGui::FindWindowByName("##Tooltip_00");
    INFO("mouse at " << at.x << ", " << at.y);
    REQUIRE(tip != nullptr);
    REQUIRE(tip->Active);
    const ImRect r = tip->Rect();
    CHECK(r.Min.x >= panel.Min.x);
    CHECK(r.Max.x <= panel.Max.x);
    CHECK(r.Min.y >= panel.Min.y + ImGui::GetFrameHeight());
    CHECK(r.Max.y <= panel.Max.y);
    for (const char* other : {"Metrics", "Histograms"}) {
      const ImGuiWindow* w = ImGui::FindWindowByName(other);
      REQUIRE(w != nullptr);
      CHECK(!r.Overlaps(w->Rect()));
    }
    CHECK(!r.Contains(at));  // beside the cursor, not under it
  }
}

TEST_CASE("a tap on a combo (press and release between two frames) opens it, shown on the next frame") {
  HeadlessUi& ui = curveUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = data("chelsea.png");
  s.doc.path = ComputePath::Cpu;
  Commands cmd;
  quiet(ui, s, cmd, 3);
  ImGuiWindow* panel = ImGui::FindWindowByName("Image quantization");
  REQUIRE(panel != nullptr);
  const ImGuiID combo = panel->GetID("rounding");
  // Find the rounding combo by hovering down the panel's left column.
  std::optional<ImVec2> at;
  const float x = panel->ContentRegionRect.Min.x + ImGui::GetFontSize() * 3;
  for (float y = panel->ContentRegionRect.Min.y; y < panel->ContentRegionRect.Min.y + 200 && !at; y += 6) {
    REQUIRE(ui.run(s, cmd, 1, [x, y](int, ImGuiIO& io) {
                io.MousePos = ImVec2(x, y);
                io.MouseDown[0] = false;
              }).ok());
    if (ImGui::GetHoveredID() == combo) at = ImVec2(x, y);
  }
  REQUIRE(at.has_value());
  // The GLFW backend gives a press and release that arrive together one frame down, one frame up.
  const auto before = ui.run(s, cmd, 2, [at](int f, ImGuiIO& io) {
    io.MousePos = *at;
    io.MouseDown[0] = f == 0;
  });
  REQUIRE(before.ok());
  const ImGuiWindow* list = ImGui::FindWindowByName("##Combo_00");
  REQUIRE(list != nullptr);
  CHECK(list->Active);
  CHECK(list->Hidden);  // open, but drawn hidden on this frame while ImGui measures it
  int chained = 0;
  CHECK(needsAnotherFrame(chained));  // so the explorer draws one more frame without input
  const auto after = ui.run(s, cmd, 1, [at](int, ImGuiIO& io) {
    io.MousePos = *at;
    io.MouseDown[0] = false;
  });
  REQUIRE(after.ok());
  CHECK(list->Active);
  CHECK(!list->Hidden);
  CHECK(!needsAnotherFrame(chained));  // then it may go idle
  // The list is on screen now, and was not on the frame of the release.
  const ImRect r = list->Rect();
  std::size_t changed = 0;
  for (int y = int(r.Min.y) + 2; y < int(r.Max.y) - 2; ++y)
    for (int xx = int(r.Min.x) + 2; xx < int(r.Max.x) - 2; ++xx) {
      const std::size_t i = (std::size_t(y) * std::size_t(after->width) + std::size_t(xx)) * 3;
      changed += after->u8[i] != before->u8[i] || after->u8[i + 1] != before->u8[i + 1];
    }
  CHECK(changed > std::size_t(r.GetArea() * 0.3f));
  // A window that never settles cannot keep the loop busy: at most three frames in a row.
  chained = 0;
  int asked = 0;
  for (int i = 0; i < 4; ++i) {
    ImGui::FindWindowByName("##Combo_00")->Hidden = true;
    asked += needsAnotherFrame(chained);
  }
  CHECK(asked == 3);
  CHECK(chained == 0);  // the count starts again with the next frame that input brings
}
