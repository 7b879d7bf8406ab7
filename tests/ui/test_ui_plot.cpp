// The plotting helper (app/ui/plot.hpp): 1-2-5 ticks, log ticks, labels and scales with exact
// values; offscreen, the colour bars the panels draw show the range of the data they colour, and
// long status text wraps in presenter mode instead of running off the window.
#include <imgui.h>
#include <imgui_internal.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "quant/levels.hpp"
#include "ui/commands.hpp"
#include "ui/frame.hpp"
#include "ui/headless.hpp"
#include "ui/panels.hpp"
#include "ui/plot.hpp"

using namespace qviz;
using namespace qviz::ui;
using plot::Range;
using plot::Ticks;

TEST_CASE("plot: 1-2-5 ticks are the smallest step that fits, at exact decimal values", "[plot]") {
  Ticks t = plot::niceTicks(0, 255, 6);
  CHECK(t.step == 50);
  CHECK(t.values == std::vector<double>{0, 50, 100, 150, 200, 250});
  CHECK(t.decimals == 0);
  CHECK(plot::niceTicks(255, 0, 6).values == t.values);  // either order

  t = plot::niceTicks(0.1, 0.9, 5);
  CHECK(t.step == 0.2);
  CHECK(t.values == std::vector<double>{0.2, 0.4, 0.6, 0.8});  // 0.6, not 0.6000000000000001
  CHECK(t.decimals == 1);

  t = plot::niceTicks(-1, 1, 9);
  CHECK(t.values == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  CHECK(t.step == 0.5);

  t = plot::niceTicks(0, 12345, 5);
  CHECK(t.values == std::vector<double>{0, 5000, 10000});

  t = plot::niceTicks(0.0031, 0.0047, 4);
  CHECK(t.values == std::vector<double>{0.0035, 0.004, 0.0045});
  CHECK(t.decimals == 4);

  t = plot::niceTicks(3, 3, 5);
  CHECK(t.values == std::vector<double>{3});
  CHECK(t.step == 0);

  CHECK(plot::niceTicks(0, std::numeric_limits<double>::infinity(), 5).values.empty());
  CHECK(plot::niceTicks(0, 1, 0).values == std::vector<double>{0, 1});  // at least two allowed
}

TEST_CASE("plot: log ticks are powers of ten, strided, or 1-2-5 inside one decade", "[plot]") {
  Ticks t = plot::logTicks(1, 1e6, 10);
  CHECK(t.values == std::vector<double>{1, 10, 100, 1000, 10000, 100000, 1e6});
  CHECK(t.step == 1);
  t = plot::logTicks(1e-3, 1e3, 4);
  CHECK(t.values == std::vector<double>{1e-3, 0.1, 10, 1000});
  CHECK(t.step == 2);
  CHECK(t.decimals == 3);
  // A loss between 0.0032 and 0.06 (the QLoRA panel): no two powers of ten inside.
  t = plot::logTicks(0.0032, 0.06, 6);
  CHECK(t.values == std::vector<double>{0.005, 0.01, 0.02, 0.05});
  CHECK(t.step == 0);
  CHECK(t.decimals == 3);
  // Too many 1-2-5 values for the room: 1 and 5 times the powers.
  CHECK(plot::logTicks(0.05, 0.8, 3).values == std::vector<double>{0.05, 0.1, 0.5});
  // Not even two 1-2-5 values: linear 1-2-5 ticks of the range.
  CHECK(plot::logTicks(2, 3, 5).values == std::vector<double>{2, 2.5, 3});
  CHECK(plot::logTicks(0, 10, 5).values.empty());
}

TEST_CASE("plot: tick labels, axis titles, scales and the tick count a length allows", "[plot]") {
  CHECK(plot::formatTick(250, 0) == "250");
  CHECK(plot::formatTick(0.5, 1) == "0.5");
  CHECK(plot::formatTick(0.0035, 4) == "0.0035");
  CHECK(plot::formatTick(-0.0, 2) == "0.00");
  CHECK(plot::formatTick(-0.5, 1) == "-0.5");
  CHECK(plot::formatTick(1e-5, 5) == "1e-05");
  CHECK(plot::formatTick(2e6, 0) == "2e+06");
  CHECK(plot::axisTitle("loss", "") == "loss");
  CHECK(plot::axisTitle("SQNR", "dB") == "SQNR (dB)");

  CHECK(plot::axisFraction(3, 1, 5, plot::Scale::Linear) == 0.5);
  CHECK(plot::axisFraction(10, 1, 100, plot::Scale::Log10) == 0.5);
  CHECK(plot::axisFraction(0, 1, 100, plot::Scale::Log10) == 0);  // clamped to lo
  CHECK(plot::axisFraction(4, 0, 16, plot::Scale::Sqrt) == 0.5);
  CHECK(plot::axisFraction(7, 2, 2, plot::Scale::Linear) == 0.5);

  // Square-root axes: squares of 1-2-5 values, so they are evenly spread on the axis.
  CHECK(plot::axisTicks(0, 50000, plot::Scale::Sqrt, 4).values == std::vector<double>{0, 10000, 40000});
  CHECK(plot::axisTicks(0, 255, plot::Scale::Linear, 6).values == plot::niceTicks(0, 255, 6).values);
  CHECK(plot::axisTicks(1, 100, plot::Scale::Log10, 6).values == std::vector<double>{1, 10, 100});

  CHECK(plot::maxTicksFor(600, 50) == 7);
  CHECK(plot::maxTicksFor(10, 50) == 2);
  CHECK(plot::maxTicksFor(10000, 10) == 12);

  const std::vector<double> v{3, -1, std::nan(""), std::numeric_limits<double>::infinity(), 7};
  CHECK(plot::dataRange(v) == Range{-1, 7});
  CHECK(plot::dataRange(std::vector<double>{}) == Range{0, 0});
}

TEST_CASE("plot: labels go in the first row with room, none overlaps another of its row", "[plot]") {
  CHECK(plot::labelRows({0, 10, 20, 100}, {10, 10, 10, 10}, 2, 2) == std::vector<int>{0, 1, 0, 0});
  CHECK(plot::labelRows({0, 10, 20, 100}, {10, 10, 10, 10}, 2, 1) == std::vector<int>{0, -1, 0, 0});
  // The 16 NF4 levels on a 500-pixel line with 50-pixel labels ("-0.6962"): all labelled, in 3 rows.
  const std::vector<double> nf4 = core::levelGrid(core::LevelGrid::NF4, 4).value();
  REQUIRE(nf4.size() == 16);
  std::vector<float> centres, widths(16, 50.0f);
  for (double v : nf4) centres.push_back(float((v + 1) * 0.5 * 500));
  const std::vector<int> rows = plot::labelRows(centres, widths, 5, 3);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("level " << i << " = " << nf4[i]);
    CHECK(rows[i] >= 0);
    for (std::size_t j = 0; j < i; ++j)
      if (rows[j] == rows[i]) CHECK(centres[i] - centres[j] >= 50 + 5);
  }
}

TEST_CASE("plot: axes map the data range onto the plot area, and draw in a bare ImGui frame", "[plot]") {
  // A context of its own (no renderer needed to build draw lists); the previous one comes back after.
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(800, 600);
  io.IniFilename = nullptr;
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  ImGui::NewFrame();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(800, 600));
  ImGui::Begin("plots");
  {
    plot::Axes ax("linear", ImVec2(400, 300), plot::AxisSpec{0, 10, plot::Scale::Linear, "step"},
                  plot::AxisSpec{1, 1000, plot::Scale::Log10, "loss"});
    CHECK(ax.min().x < ax.max().x);
    CHECK(ax.min().y < ax.max().y);
    CHECK(ax.sx(0) == Approx(ax.min().x).margin(1e-3));
    CHECK(ax.sx(10) == Approx(ax.max().x).margin(1e-3));
    CHECK(ax.sy(1) == Approx(ax.max().y).margin(1e-3));
    CHECK(ax.sy(1000) == Approx(ax.min().y).margin(1e-3));
    CHECK(ax.sy(10) == Approx(ax.max().y - (ax.max().y - ax.min().y) / 3));
    CHECK(ax.dataX(ax.sx(2.5)) == Approx(2.5));
    // The whole item is inside the size it was given, margins and titles included.
    CHECK(ax.max().x <= ImGui::GetItemRectMax().x);
    CHECK(ax.max().y <= ImGui::GetItemRectMax().y);
  }
  const std::vector<double> ys{1, 4, 9, 16}, xs{0, 1, 2, 3};
  plot::lineChart("chart", ImVec2(400, 200), {{&ys, &xs, IM_COL32(255, 0, 0, 255), "squares"}},
                  plot::AxisSpec{0, 3, plot::Scale::Linear, "n"}, plot::AxisSpec{0, 16, plot::Scale::Linear, "n^2"});
  plot::drawColourBar("bar", 200, Range{-1, 1}, plot::grayMap, "error", "sample values");
  ImGui::End();
  ImGui::Render();
  CHECK(ImGui::GetDrawData()->TotalVtxCount > 0);
  CHECK(plot::drawnColourBar("bar") == std::optional<Range>(Range{-1, 1}));
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
}

namespace {
HeadlessUi& plotUi() {
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1600, 1000);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}

void only(AppState& s, bool PanelOpen::*panel) {
  s.ui.open = PanelOpen{};
  for (const PanelEntry& p : panelTable()) s.ui.open.*(p.open) = false;
  s.ui.open.*panel = true;
}
}  // namespace

TEST_CASE("offscreen plot: the weights heatmap's colour bar spans the block errors it colours", "[plot]") {
  HeadlessUi& ui = plotUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  only(s, &PanelOpen::weights);
  Commands cmd;
  (void)ui.run(s, cmd, 3).value();
  REQUIRE(!s.derived.weights.blockRmse.empty());
  const auto bar = plot::drawnColourBar("block RMSE");
  REQUIRE(bar);
  CHECK(*bar == plot::dataRange(s.derived.weights.blockRmse));
  CHECK(bar->lo > 0);
  CHECK(bar->hi > bar->lo);
}

TEST_CASE("offscreen plot: the error view's colour bar is the error each brightness stands for", "[plot]") {
  HeadlessUi& ui = plotUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  only(s, &PanelOpen::image);
  s.doc.view = ViewMode::Error;
  s.doc.errorGain = 4;
  Commands cmd;
  (void)ui.run(s, cmd, 3).value();
  REQUIRE(s.derived.image.bitDepth() == 8);
  // absolute: brightness min(255, |e| * 4), so white is |e| = 255 / 4 or more.
  auto bar = plot::drawnColourBar("error scale");
  REQUIRE(bar);
  CHECK(*bar == Range{0, 63.75});
  // signed: 128 + e * 4, so black is e = -32 and white e = 127 / 4.
  s.doc.errorSigned = true;
  ++s.revision;
  (void)ui.run(s, cmd, 2).value();
  bar = plot::drawnColourBar("error scale");
  REQUIRE(bar);
  CHECK(*bar == Range{-32, 31.75});
}

TEST_CASE("offscreen plot: in presenter mode a long error in the status bar wraps, whole", "[plot]") {
  HeadlessUi& ui = plotUi();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.ui.presenter = true;
  s.ui.fontScale = 2.0f;
  Commands cmd;
  (void)ui.run(s, cmd, 2).value();
  const std::string text =
      "shaders/user/quantizer.glsl:12: error: 'userQuantize' : no matching overloaded function found, and a "
      "second sentence long enough to need a third line at twice the font: line 12 is what the user must read";
  postNotice(s.ui, text, true);
  (void)ui.run(s, cmd, 2).value();
  const ImGuiWindow* w = ImGui::FindWindowByName("##status");
  REQUIRE(w != nullptr);
  const float fs = ImGui::GetFontSize();
  const ImVec2 one = ImGui::CalcTextSize(text.c_str());
  REQUIRE(one.x > w->Size.x);  // one line would not fit
  // The window is at least as tall as the text wrapped to its whole width (the text wraps a little
  // narrower, after the dismiss button), and that takes 2 lines or more.
  const ImVec2 wrapped = ImGui::CalcTextSize(text.c_str(), nullptr, false, w->Size.x);
  CHECK(wrapped.y >= 2 * fs);
  CHECK(w->Size.y >= wrapped.y);
  // The panels end above it.
  for (const PanelEntry& p : panelTable())
    if (s.ui.open.*(p.open)) {
      const ImGuiWindow* pw = ImGui::FindWindowByName(p.title);
      REQUIRE(pw != nullptr);
      CHECK(pw->Pos.y + pw->Size.y <= w->Pos.y + 0.5f);
    }
  INFO("status at " << w->Pos.y << " size " << w->Size.y << " font " << fs << " text " << wrapped.y);
  CHECK(w->Pos.y + w->Size.y <= float(ui.height()) + 0.5f);
  s.ui.notices.clear();
  s.ui.presenter = false;
  s.ui.fontScale = 1.0f;
  (void)ui.run(s, cmd, 1).value();
}
