// Number line: the levels of a grid in [-1, 1] (the seed document's grid without zero, symmetric
// with zero, NF4, FP4), draggable example values showing where each lands and its error, and the
// seed document's ten mappings and its grid lists, quoted verbatim, each with a computed verdict.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ui/panels.hpp"
#include "ui/plot.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const char* kGridLabels[] = {"seed grid (no zero)", "symmetric with zero", "NF4", "FP4 (bitsandbytes)"};
}

template <>
void drawPanel<panelId("number-line")>(const AppState& s, UiState&, Commands& cmd) {
  const Document& d = s.doc;
  int grid = int(d.lineGrid);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  if (ImGui::Combo("grid", &grid, kGridLabels, 4))
    cmd.edit("number-line grid", [grid](Document& doc) {
      doc.lineGrid = LevelGrid(grid);
      if (doc.lineGrid == LevelGrid::NF4 || doc.lineGrid == LevelGrid::FP4) doc.lineBits = 4;
    });
  const bool fixedBits = d.lineGrid == LevelGrid::NF4 || d.lineGrid == LevelGrid::FP4;
  ImGui::SameLine();
  int bits = d.lineBits;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  ImGui::BeginDisabled(fixedBits);
  if (ImGui::SliderInt("bits##line", &bits, 1, 8)) cmd.edit("number-line bits", [bits](Document& doc) { doc.lineBits = bits; });
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("seed examples"))
    cmd.edit("reset values", [](Document& doc) { doc.lineValues = seedExampleValues(); });
  ImGui::SameLine();
  if (ImGui::Button("add value")) cmd.edit("add value", [](Document& doc) { doc.lineValues.push_back(0.3); });

  auto levels = levelGrid(d.lineGrid, fixedBits ? 4 : d.lineBits);
  if (!levels) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", levels.error().c_str());
    return;
  }
  ImGui::TextWrapped("%zu levels%s", levels->size(),
                     d.lineGrid == LevelGrid::NoZero ? ": no level at 0, so small values are pushed away from zero" : "");

  // The line: the example values in lanes above it (a lane per crowd, so circles never cover each
  // other), the levels crossing it, their values under it in up to three rows (a label that fits
  // in no row is left to the hover readout; grids of more than 32 levels are read by hovering), and
  // a value axis with 1-2-5 ticks. It takes 30% of the panel's height, 11 to 15 lines.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fh = ImGui::GetFontSize();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float height = std::clamp(ImGui::GetContentRegionAvail().y * 0.3f, fh * 11.0f, fh * 15.0f);
  const float x0 = p0.x + fh * 2.0f, x1 = p0.x + width - fh * 2.0f;
  auto xOf = [&](double v) { return x0 + float((v + 1.0) * 0.5) * (x1 - x0); };
  auto vOf = [&](float x) { return std::clamp(double((x - x0) / (x1 - x0)) * 2.0 - 1.0, -1.0, 1.0); };
  const ImU32 kLevel = IM_COL32(255, 200, 60, 255), kAxis = IM_COL32(170, 170, 175, 255);
  dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(22, 22, 26, 255), 4.0f);

  // Level labels: up to four decimals, trailing zeros dropped (-0.5, 0.0796), in up to three rows.
  auto levelText = [](double v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    std::string t = buf;
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t.pop_back();
    return t == "-0" ? std::string("0") : t;
  };
  const bool labelLevels = levels->size() <= 32;
  std::vector<std::string> levelTexts;
  std::vector<float> centres, widths;
  for (double l : *levels) {
    levelTexts.push_back(levelText(l));
    centres.push_back(xOf(l));
    widths.push_back(ImGui::CalcTextSize(levelTexts.back().c_str()).x);
  }
  const std::vector<int> labelRow =
      labelLevels ? plot::labelRows(centres, widths, fh * 0.4f, 3) : std::vector<int>(levels->size(), -1);
  int rowsUsed = 0;
  for (int r : labelRow) rowsUsed = std::max(rowsUsed, r + 1);
  // From the bottom: the axis title, the tick labels, the level label rows, then the line.
  const float titleY = p0.y + height - fh * 1.3f, tickY = titleY - fh * 1.2f;
  const float rowsTop = tickY - fh * 0.4f - float(rowsUsed) * fh * 1.15f;
  const float y = rowsTop - fh * 0.9f;
  // Lanes above the line for the values, sorted by position.
  std::vector<std::size_t> order(d.lineValues.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return d.lineValues[a] < d.lineValues[b]; });
  const int lanes = std::max(1, std::min(4, int((y - p0.y - fh * 1.2f) / (fh * 1.4f))));
  std::vector<int> lane(d.lineValues.size(), 0);
  {
    std::vector<float> laneEnd(std::size_t(lanes), -1e30f);
    for (std::size_t k : order) {
      const float x = xOf(d.lineValues[k]);
      int best = 0;
      for (int l = 0; l < lanes; ++l)
        if (x - laneEnd[std::size_t(l)] > fh * 1.2f) {
          best = l;
          break;
        } else if (laneEnd[std::size_t(l)] < laneEnd[std::size_t(best)]) {
          best = l;
        }
      lane[k] = best;
      laneEnd[std::size_t(best)] = x;
    }
  }
  auto laneY = [&](int l) { return y - fh * 1.6f - float(l) * fh * 1.4f; };

  // Axis: 1-2-5 ticks of [-1, 1] under the level labels.
  const plot::Ticks ticks = plot::niceTicks(-1, 1, plot::maxTicksFor(x1 - x0, ImGui::CalcTextSize("-0.00").x + fh));
  for (double t : ticks.values) {
    const std::string label = plot::formatTick(t, ticks.decimals);
    dl->AddLine(ImVec2(xOf(t), tickY - fh * 0.3f), ImVec2(xOf(t), tickY), kAxis);
    dl->AddText(ImVec2(xOf(t) - ImGui::CalcTextSize(label.c_str()).x * 0.5f, tickY), kAxis, label.c_str());
  }
  dl->AddLine(ImVec2(x0, tickY - fh * 0.3f), ImVec2(x1, tickY - fh * 0.3f), IM_COL32(90, 90, 100, 255));
  const char* title = "value (the grid's levels in yellow, the examples in blue: drag them)";
  if (ImGui::CalcTextSize(title).x > width) title = "value";  // a narrow panel: the axis is still named
  dl->AddText(ImVec2(p0.x + (width - ImGui::CalcTextSize(title).x) * 0.5f, titleY), kAxis, title);

  dl->AddLine(ImVec2(x0, y), ImVec2(x1, y), IM_COL32(200, 200, 200, 255), 2.0f);
  for (std::size_t i = 0; i < levels->size(); ++i) {
    const float lx = xOf((*levels)[i]);
    dl->AddLine(ImVec2(lx, y - fh * 0.6f), ImVec2(lx, y + fh * 0.6f), kLevel, 3.0f);
    if (labelRow[i] < 0) continue;
    const float ly = rowsTop + float(labelRow[i]) * fh * 1.15f;
    if (labelRow[i] > 0) dl->AddLine(ImVec2(lx, y + fh * 0.6f), ImVec2(lx, ly), IM_COL32(255, 200, 60, 90));
    dl->AddText(ImVec2(lx - widths[i] * 0.5f, ly), kLevel, levelTexts[i].c_str());
  }
  // Hovering the line reads the nearest level.
  ImGui::SetCursorScreenPos(ImVec2(x0, y - fh * 0.7f));
  ImGui::InvisibleButton("levels", ImVec2(std::max(1.0f, x1 - x0), fh * 1.4f + float(rowsUsed) * fh * 1.15f));
  if (ImGui::IsItemHovered()) {
    const NearestLevel n = nearestLevel(*levels, vOf(ImGui::GetIO().MousePos.x));
    std::size_t k = 0;
    while (k + 1 < levels->size() && (*levels)[k] != n.level) ++k;
    ImGui::SetTooltip("level %zu of %zu: %+.7f", k + 1, levels->size(), n.level);
    dl->AddLine(ImVec2(xOf(n.level), y - fh * 0.9f), ImVec2(xOf(n.level), y + fh * 0.9f), IM_COL32(255, 255, 255, 200), 1.5f);
  }
  // Draggable values: circles above the line, an arrow to their nearest level.
  for (std::size_t i = 0; i < d.lineValues.size(); ++i) {
    const double v = d.lineValues[i];
    const NearestLevel n = nearestLevel(*levels, v);
    const ImVec2 c(xOf(v), laneY(lane[i]));
    ImGui::SetCursorScreenPos(ImVec2(c.x - fh * 0.6f, c.y - fh * 0.6f));
    ImGui::PushID(int(i));
    ImGui::InvisibleButton("value", ImVec2(fh * 1.2f, fh * 1.2f));
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
      const double nv = std::round(vOf(ImGui::GetIO().MousePos.x) * 1000.0) / 1000.0;
      cmd.edit("drag value", [i, nv](Document& doc) {
        if (i < doc.lineValues.size()) doc.lineValues[i] = nv;
      });
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%.3f -> %.4f (error %+.4f)%s", v, n.level, n.error, n.tie ? ", a tie" : "");
    ImGui::PopID();
    const ImU32 col = n.tie ? IM_COL32(255, 120, 120, 255) : IM_COL32(110, 200, 255, 255);
    dl->AddLine(c, ImVec2(xOf(n.level), y), col, 1.5f);
    dl->AddCircleFilled(c, fh * 0.45f, col);
  }
  ImGui::SetCursorScreenPos(ImVec2(p0.x, p0.y + height + 4));

  if (ImGui::BeginTable("mapping", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    ImGui::TableSetupColumn("value");
    ImGui::TableSetupColumn("nearest level");
    ImGui::TableSetupColumn("error");
    ImGui::TableSetupColumn("");
    ImGui::TableHeadersRow();
    for (double v : d.lineValues) {
      const NearestLevel n = nearestLevel(*levels, v);
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::Text("%+.3f", v);
      ImGui::TableSetColumnIndex(1);
      ImGui::Text("%+.4f", n.level);
      ImGui::TableSetColumnIndex(2);
      ImGui::Text("%+.4f", n.error);
      ImGui::TableSetColumnIndex(3);
      if (n.tie) ImGui::TextColored(ImVec4(1, 0.5f, 0.5f, 1), "tie: halfway, goes away from zero");
    }
    ImGui::EndTable();
  }
  ImGui::Separator();
  ImGui::TextWrapped("What the seed document says (quoted as written), checked on its grid without zero:");
  const ImVec4 kGood(0.6f, 0.9f, 0.6f, 1), kBad(1, 0.45f, 0.4f, 1), kTie(1, 0.8f, 0.4f, 1);
  auto verdictColour = [&](ClaimVerdict v) { return v == ClaimVerdict::Right ? kGood : v == ClaimVerdict::Tie ? kTie : kBad; };
  // In a narrow panel (presenter mode, a side column) the reasons go under the table, wrapped to
  // the panel's width, instead of a column a few characters wide.
  const bool narrow = ImGui::GetContentRegionAvail().x < 36.0f * ImGui::GetFontSize();
  const auto claims = checkSeedClaims();
  if (ImGui::BeginTable("seed claims", narrow ? 5 : 6, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    ImGui::TableSetupColumn("bits");
    ImGui::TableSetupColumn("value");
    ImGui::TableSetupColumn("seed says");
    ImGui::TableSetupColumn("nearest");
    ImGui::TableSetupColumn("verdict");
    if (!narrow) ImGui::TableSetupColumn("why", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (const CheckedClaim& c : claims) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::Text("%d", c.claim.bits);
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(c.claim.valueText);
      ImGui::TableSetColumnIndex(2);
      ImGui::Text("\"%s\"", c.claim.claimedText);
      ImGui::TableSetColumnIndex(3);
      if (c.tieOther)
        ImGui::Text("%g or %g", c.nearest.level, *c.tieOther);
      else
        ImGui::Text("%g", c.nearest.level);
      ImGui::TableSetColumnIndex(4);
      ImGui::TextColored(verdictColour(c.verdict), "%s", claimVerdictName(c.verdict));
      if (!narrow) {
        ImGui::TableSetColumnIndex(5);
        ImGui::TextWrapped("%s", c.note.c_str());
      }
    }
    ImGui::EndTable();
  }
  ImGui::PushTextWrapPos(0.0f);
  if (narrow)
    for (const CheckedClaim& c : claims)
      ImGui::TextColored(verdictColour(c.verdict), "%d-bit %s: %s", c.claim.bits, c.claim.valueText, c.note.c_str());
  for (const CheckedGridStatement& g : checkSeedGridStatements())
    ImGui::TextColored(g.typo ? kBad : kGood, "%d-bit grid as the seed lists it: \"%s\": %s: %s", g.statement.bits,
                       g.statement.text, g.typo ? "typo" : "right", g.note.c_str());
  ImGui::PopTextWrapPos();
}

}  // namespace qviz::ui
