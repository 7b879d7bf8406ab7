// The Equal bits panel: its rows are core::sweepFormats' on the Weights panel's tensor, the budget's
// winner is the best SQNR inside it, the Pareto rows are non-dominated, labels never overlap; the
// panel draws in normal and presenter mode, the B key toggles it, the worker restarts on a new
// tensor and wakes the window.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "quant/format_sweep.hpp"
#include "quant/format_table.hpp"
#include "ui/commands.hpp"
#include "ui/equal_bits_model.hpp"
#include "ui/headless.hpp"
#include "ui/panels.hpp"
#include "ui/weights_model.hpp"

using namespace qviz;
using namespace qviz::ui;

namespace {
HeadlessUi& equalUi() {
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1600, 1000);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}

void quiet(HeadlessUi& ui, AppState& s, Commands& cmd, int n) {
  auto r = ui.run(s, cmd, n, [](int, ImGuiIO& io) {
    io.MousePos = ImVec2(-1000, -1000);
    io.MouseDown[0] = false;
    for (bool& k : io.KeysDown) k = false;
  });
  REQUIRE(r.ok());
}

// Only the Equal bits panel open.
void alone(AppState& s) {
  s.ui.open = PanelOpen{};
  s.ui.open.image = s.ui.open.metrics = s.ui.open.histogram = false;
  s.ui.open.equalBits = true;
}

void requireSameRows(const std::vector<core::SweepRow>& got, const std::vector<core::SweepRow>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].label);
    CHECK(got[i].label == want[i].label);
    CHECK(got[i].settings.format == want[i].settings.format);
    CHECK(got[i].settings.blocksize == want[i].settings.blocksize);
    CHECK(got[i].settings.doubleQuant == want[i].settings.doubleQuant);
    CHECK(got[i].ok == want[i].ok);
    CHECK(got[i].error == want[i].error);
    CHECK(got[i].bitsPerWeight == want[i].bitsPerWeight);
    CHECK(got[i].rmse == want[i].rmse);
    CHECK(got[i].sqnrDb == want[i].sqnrDb);
    CHECK(got[i].maxAbsError == want[i].maxAbsError);
    CHECK(got[i].pareto == want[i].pareto);
  }
}
}  // namespace

TEST_CASE("equal bits panel: its rows are sweepFormats' on the Weights panel's tensor") {
  HeadlessUi& ui = equalUi();
  AppState s;
  s.synchronous = true;
  alone(s);
  Commands cmd;
  quiet(ui, s, cmd, 2);
  // The Weights panel is closed, yet its tensor is there: the one it would quantize.
  CHECK(!s.ui.open.weights);
  const std::vector<float> x = syntheticWeights(WeightSource::Normal, 65536, 1);
  REQUIRE(s.derived.weights.values == x);
  const EqualBitsJob& j = *s.derived.equalBits;
  CHECK(!j.running);
  const std::vector<core::SweepRow> want = core::sweepFormats(x.data(), x.size(), equalBitsOptions());
  REQUIRE(!want.empty());
  requireSameRows(j.rows, want);
  // Every format of the table is in it, each block size where the format has a choice.
  for (const core::FormatDesc& d : core::tensorFormats()) {
    INFO(d.name);
    std::size_t n = 0;
    for (const auto& r : j.rows) n += r.settings.format == d.format;
    CHECK(n >= (d.fixedBlocksize ? 1u : 4u));
  }
  const ImGuiWindow* w = ImGui::FindWindowByName("Equal bits");
  REQUIRE(w != nullptr);
  CHECK(w->Active);
  CHECK(!w->Collapsed);
  CHECK(!w->ScrollbarY);  // the plot and the table fit the panel (the table scrolls inside)

  // Another tensor (from the Weights panel's inputs): the sweep starts again, for that tensor.
  cmd.edit("weights", [](Document& d) {
    d.weights.source = WeightSource::HeavyTailed;
    d.weights.seed = 7;
    d.weights.size = 4096;
  });
  quiet(ui, s, cmd, 2);
  const std::vector<float> y = syntheticWeights(WeightSource::HeavyTailed, 4096, 7);
  requireSameRows(s.derived.equalBits->rows, core::sweepFormats(y.data(), y.size(), equalBitsOptions()));
}

TEST_CASE("equal bits: a budget's winner is the best SQNR among the rows inside it") {
  const std::vector<float> x = syntheticWeights(WeightSource::Normal, 65536, 1);
  const std::vector<core::SweepRow> rows = core::sweepFormats(x.data(), x.size(), equalBitsOptions());
  struct Budget {
    double lo, hi;
  };
  for (const Budget b : {Budget{4.25, 4.5}, Budget{2, 3.5}, Budget{3.5, 5}, Budget{5, 6}, Budget{8, 9}, Budget{0, 1}, Budget{4.5, 4.5}}) {
    INFO(b.lo << "-" << b.hi);
    std::optional<std::size_t> want;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (!r.ok || r.bitsPerWeight < b.lo || r.bitsPerWeight > b.hi) continue;
      if (!want || r.sqnrDb > rows[*want].sqnrDb ||
          (r.sqnrDb == rows[*want].sqnrDb && r.bitsPerWeight < rows[*want].bitsPerWeight))
        want = i;
    }
    const auto got = budgetWinner(rows, b.lo, b.hi);
    CHECK(got == want);
    if (!got) {
      CHECK(budgetSentence(rows, b.lo, b.hi).rfind("no format stores", 0) == 0);
      continue;
    }
    const core::SweepRow& w = rows[*got];
    CHECK(w.ok);
    CHECK(inBudget(w, b.lo, b.hi));
    for (const auto& r : rows)
      if (inBudget(r, b.lo, b.hi)) CHECK(r.sqnrDb <= w.sqnrDb);
    // The sentence names it and its SQNR.
    char sqnr[32];
    std::snprintf(sqnr, sizeof sqnr, "SQNR %.2f dB", w.sqnrDb);
    const std::string sentence = budgetSentence(rows, b.lo, b.hi);
    CHECK(sentence.find(" " + w.label + " wins: ") != std::string::npos);
    CHECK(sentence.find(sqnr) != std::string::npos);
  }
  CHECK(!budgetWinner(rows, 0, 1).has_value());  // nothing stores under 1 bit per weight
  // The panel's default budget on the default tensor: q4_k (144-byte super-blocks of 256: exactly 4.5
  // bits) beats nf4 bs64 and q4_0 at the same 4.5 bits; nvfp4 is just outside (4.5 and its float32
  // tensor scale over 65536 values).
  const auto w = budgetWinner(rows, 4.25, 4.5);
  REQUIRE(w);
  CHECK(rows[*w].label == "q4_k");
  CHECK(rows[*w].bitsPerWeight == 4.5);
  for (const auto& r : rows) {
    if (r.label == "nvfp4") {
      CHECK(r.bitsPerWeight == 4.5 + 32.0 / 65536);
      CHECK(!inBudget(r, 4.25, 4.5));
    }
    if (r.label == "nf4 bs64" || r.label == "q4_0") {
      CHECK(r.bitsPerWeight == 4.5);
      CHECK(r.sqnrDb < rows[*w].sqnrDb);
    }
  }
}

TEST_CASE("equal bits: the Pareto rows are non-dominated, every other row is dominated, the step line climbs") {
  for (WeightSource src : {WeightSource::Normal, WeightSource::HeavyTailed, WeightSource::Uniform}) {
    const std::vector<float> x = syntheticWeights(src, 16384, 3);
    const std::vector<core::SweepRow> rows = core::sweepFormats(x.data(), x.size(), equalBitsOptions());
    std::size_t front = 0;
    for (const auto& p : rows) {
      if (!p.ok) {
        CHECK(!p.pareto);
        continue;
      }
      bool dominated = false;
      for (const auto& q : rows)
        if (q.ok && &q != &p && q.bitsPerWeight <= p.bitsPerWeight && q.sqnrDb > p.sqnrDb) dominated = true;
      INFO(p.label);
      CHECK(p.pareto == !dominated);
      front += p.pareto;
    }
    CHECK(front >= 1);
    const std::vector<std::size_t> order = paretoOrder(rows);
    CHECK(order.size() == front);
    const StepLine st = paretoSteps(rows, sqnrOf);
    REQUIRE(st.x.size() == 2 * front - 1);
    for (std::size_t k = 1; k < st.x.size(); ++k) {
      CHECK(st.x[k] >= st.x[k - 1]);
      CHECK(st.y[k] >= st.y[k - 1]);  // more bits on the front: never a lower SQNR
      CHECK((st.x[k] == st.x[k - 1] || st.y[k] == st.y[k - 1]));  // steps: level, then up
    }
    // The table sorted by SQNR, descending: the first row is the best of all.
    const auto bySqnr = sortedRows(rows, EqualBitsColumn::Sqnr, false);
    REQUIRE(!bySqnr.empty());
    for (std::size_t k = 1; k < bySqnr.size(); ++k) CHECK(rows[bySqnr[k]].sqnrDb <= rows[bySqnr[k - 1]].sqnrDb);
    const auto byBits = sortedRows(rows, EqualBitsColumn::Bits, true);
    for (std::size_t k = 1; k < byBits.size(); ++k) CHECK(rows[byBits[k]].bitsPerWeight >= rows[byBits[k - 1]].bitsPerWeight);
  }
}

TEST_CASE("equal bits: point labels never overlap each other or a point, and stay in the plot") {
  // A crowded row of points 6 px apart: most labels find no room (they show on hover).
  std::vector<float> px, py, w;
  for (int i = 0; i < 40; ++i) {
    px.push_back(100.0f + 6.0f * float(i));
    py.push_back(200.0f + float(i % 3) * 9.0f);
    w.push_back(30.0f + float(i % 5) * 8.0f);
  }
  std::vector<std::size_t> order(px.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
  const LabelBox bounds{80, 150, 400, 260};
  const std::vector<float> radius(px.size(), 3.0f);
  const auto placed = placeLabels(px, py, w, 14.0f, radius, 2.0f, order, bounds);
  REQUIRE(placed.size() == px.size());
  std::size_t n = 0;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    if (!placed[i]) continue;
    ++n;
    const LabelBox& a = *placed[i];
    CHECK(a.x1 - a.x0 == w[i]);
    CHECK(a.y1 - a.y0 == 14.0f);
    CHECK(a.x0 >= bounds.x0);
    CHECK(a.x1 <= bounds.x1);
    CHECK(a.y0 >= bounds.y0);
    CHECK(a.y1 <= bounds.y1);
    for (std::size_t k = 0; k < px.size(); ++k) CHECK(!a.overlaps({px[k] - 3, py[k] - 3, px[k] + 3, py[k] + 3}));
    for (std::size_t k = i + 1; k < placed.size(); ++k)
      if (placed[k]) CHECK(!a.overlaps(*placed[k]));
  }
  CHECK(n >= 2);
  CHECK(n < px.size());
  // The first in the order: right of its point would leave the plot (334 + 5 + 62 > 400), left would
  // cover its neighbours' points, so above it, centred.
  REQUIRE(placed[39]);
  CHECK(placed[39]->x0 == 303.0f);
  CHECK(placed[39]->y1 == py[39] - 5.0f);
  // Alone, a point is labelled on its right.
  const auto one = placeLabels({100}, {200}, {40}, 14, {3}, 2, {0}, bounds);
  REQUIRE(one[0]);
  CHECK(one[0]->x0 == 105.0f);
  CHECK(one[0]->y0 == 193.0f);
  // A larger ring (radius 9) pushes it further out.
  const auto ringed = placeLabels({100}, {200}, {40}, 14, {9}, 2, {0}, bounds);
  REQUIRE(ringed[0]);
  CHECK(ringed[0]->x0 == 111.0f);
}

TEST_CASE("equal bits panel: a tensor some formats cannot take lists them with the reason") {
  HeadlessUi& ui = equalUi();
  AppState s;
  s.synchronous = true;
  alone(s);
  s.doc.weights.size = 1000;  // not a multiple of 256 (nor of 32)
  Commands cmd;
  quiet(ui, s, cmd, 2);
  const auto& rows = s.derived.equalBits->rows;
  const std::vector<float> x = syntheticWeights(WeightSource::Normal, 1000, 1);
  requireSameRows(rows, core::sweepFormats(x.data(), x.size(), equalBitsOptions()));
  std::size_t refused = 0;
  for (const auto& r : rows) {
    INFO(r.label);
    if (core::formatDesc(r.settings.format).fixedBlocksize == 256) CHECK(!r.ok);
    if (!r.ok) {
      ++refused;
      CHECK(!r.error.empty());
      CHECK(!r.pareto);
    }
  }
  CHECK(refused >= 6);
  // The panel's list: one line per reason, the formats named once each, the core's words kept.
  const std::vector<std::string> lines = notApplicableLines(rows);
  CHECK(lines.size() < refused);
  std::size_t named = 0;
  for (const auto& r : rows)
    if (!r.ok) {
      INFO(r.label);
      std::size_t in = 0;
      for (const std::string& line : lines) in += line.find(" " + r.label + ",") != std::string::npos || line.find(" " + r.label + " (") != std::string::npos;
      CHECK(in == 1);
      named += in;
    }
  CHECK(named == refused);
  bool k256 = false;
  for (const std::string& line : lines)
    k256 = k256 || (line.rfind("not for this tensor: q2_k, q3_k, q4_k, q5_k, q6_k, iq4_xs (each ", 0) == 0 &&
                    line.find("this tensor has 1000 (232 left over)") != std::string::npos);
  CHECK(k256);
  // None of them wins or is in the table.
  for (std::size_t i : sortedRows(rows, EqualBitsColumn::Bits, true)) CHECK(rows[i].ok);
  if (const auto w = budgetWinner(rows, 0, 64)) CHECK(rows[*w].ok);
}

TEST_CASE("equal bits panel: the B key toggles it, presenter mode draws it large; the worker wakes the window") {
  HeadlessUi& ui = equalUi();
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  Commands cmd;
  quiet(ui, s, cmd, 1);
  CHECK(!s.derived.equalBits->key.has_value());  // closed: nothing computed
  std::atomic<int> wakes{0};
  s.derived.setWake([&wakes] { ++wakes; });
  auto press = [&](int key) {
    REQUIRE(ui.run(s, cmd, 3, [key](int f, ImGuiIO& io) {
                io.MousePos = ImVec2(-1000, -1000);
                io.KeysDown[key] = f == 0;
              }).ok());
  };
  press(GLFW_KEY_B);
  CHECK(s.ui.open.equalBits);
  CHECK(!s.derived.equalBits->rows.empty());
  CHECK(wakes >= 1);  // the finished sweep wakes the window
  press(GLFW_KEY_B);
  CHECK(!s.ui.open.equalBits);
  // Presenter mode, the panel featured: larger font, the panel large, nothing collapsed.
  alone(s);
  s.ui.presenter = true;
  s.ui.fontScale = 2.0f;
  s.ui.presenterFeatured = int(findPanel("equal-bits") - panelTable().data());
  quiet(ui, s, cmd, 3);
  const ImGuiWindow* w = ImGui::FindWindowByName("Equal bits");
  REQUIRE(w != nullptr);
  CHECK(w->Active);
  CHECK(!w->Collapsed);
  CHECK(w->Size.y > 500);
  CHECK(!w->ScrollbarY);  // at twice the font everything still fits: plot, table, legend, budget
  CHECK(!w->ScrollbarX);
  // The RMSE plot draws too.
  s.ui.equalBitsRmse = true;
  quiet(ui, s, cmd, 2);
  CHECK(ImGui::FindWindowByName("Equal bits")->Active);
  s.derived.setWake({});
}

TEST_CASE("equal bits panel: a sweep in flight is dropped for a new tensor and stopped when the panel closes") {
  HeadlessUi& ui = equalUi();
  AppState s;
  alone(s);
  s.doc.weights.size = 1 << 20;  // a sweep of about a second: still running at the next frame
  Commands cmd;
  // The Weights view (the tensor) comes from its own worker: wait for it, then a frame starts the sweep.
  const auto tensorFrame = [&] {
    quiet(ui, s, cmd, 1);
    waitWeightsJob(s.derived.weights, /*withTable=*/false);  // the Weights panel is closed: no table
    quiet(ui, s, cmd, 1);
  };
  tensorFrame();
  EqualBitsJob& j = *s.derived.equalBits;
  REQUIRE(j.key.has_value());
  CHECK(j.key->n == std::size_t(1) << 20);
  CHECK(j.running);  // the panel shows the time so far meanwhile
  CHECK(ImGui::FindWindowByName("Equal bits")->Active);
  // A new seed: the running sweep is cancelled, its rows never shown; the new one's are.
  cmd.edit("seed", [](Document& d) { d.weights.seed = 5; });
  tensorFrame();
  CHECK(j.key->seed == 5);
  s.synchronous = true;
  quiet(ui, s, cmd, 1);
  CHECK(!j.running);
  const std::vector<float> x = syntheticWeights(WeightSource::Normal, std::size_t(1) << 20, 5);
  requireSameRows(j.rows, core::sweepFormats(x.data(), x.size(), equalBitsOptions()));
  // Closing mid-sweep stops it; opening again starts over and finishes.
  s.synchronous = false;
  cmd.edit("seed", [](Document& d) { d.weights.seed = 6; });
  tensorFrame();
  CHECK(j.running);
  s.ui.open.equalBits = false;
  quiet(ui, s, cmd, 1);
  CHECK(!j.running);
  // Cancelled, it forgets its tensor (unless it had already finished before the frame that closed it).
  if (j.key) CHECK(j.rows.size() == core::sweepFormats(x.data(), 1024, equalBitsOptions()).size());
  s.ui.open.equalBits = true;
  s.synchronous = true;
  quiet(ui, s, cmd, 1);
  CHECK(j.key->seed == 6);
  CHECK(!j.running);
  const std::vector<float> y = syntheticWeights(WeightSource::Normal, std::size_t(1) << 20, 6);
  requireSameRows(j.rows, core::sweepFormats(y.data(), y.size(), equalBitsOptions()));
}
