// Number line: the levels of a grid in [-1, 1] (the seed document's grid without zero, symmetric
// with zero, NF4, FP4), draggable example values showing where each lands and its error, and the
// seed document's ten mappings and its grid lists, quoted verbatim, each with a computed verdict.
#include <imgui.h>

#include <cmath>
#include <cstdio>

#include "ui/panels.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const char* kGridLabels[] = {"seed grid (no zero)", "symmetric with zero", "NF4", "FP4 (bitsandbytes)"};
}

void drawNumberLinePanel(const AppState& s, UiState&, Commands& cmd) {
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

  // The line.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fh = ImGui::GetFontSize();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float width = ImGui::GetContentRegionAvail().x;
  const float height = fh * 7.0f;
  const float x0 = p0.x + fh * 1.5f, x1 = p0.x + width - fh * 1.5f, y = p0.y + fh * 2.5f;
  auto xOf = [&](double v) { return x0 + float((v + 1.0) * 0.5) * (x1 - x0); };
  auto vOf = [&](float x) { return std::clamp(double((x - x0) / (x1 - x0)) * 2.0 - 1.0, -1.0, 1.0); };
  dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(22, 22, 26, 255), 4.0f);
  dl->AddLine(ImVec2(x0, y), ImVec2(x1, y), IM_COL32(200, 200, 200, 255), 2.0f);
  for (double t : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%g", t);
    dl->AddText(ImVec2(xOf(t) - ImGui::CalcTextSize(buf).x * 0.5f, y + fh * 3.2f), IM_COL32(150, 150, 150, 255), buf);
    dl->AddLine(ImVec2(xOf(t), y + fh * 2.8f), ImVec2(xOf(t), y + fh * 3.1f), IM_COL32(150, 150, 150, 255));
  }
  for (double l : *levels) dl->AddLine(ImVec2(xOf(l), y - fh * 0.6f), ImVec2(xOf(l), y + fh * 0.6f), IM_COL32(255, 200, 60, 255), 3.0f);
  // Draggable values: circles above the line, an arrow to their nearest level.
  for (std::size_t i = 0; i < d.lineValues.size(); ++i) {
    const double v = d.lineValues[i];
    const NearestLevel n = nearestLevel(*levels, v);
    const ImVec2 c(xOf(v), y - fh * 1.6f);
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
  ImGui::TextUnformatted("What the seed document says (quoted as written), checked on its grid without zero:");
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
