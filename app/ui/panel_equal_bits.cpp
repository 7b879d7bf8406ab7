// Equal bits: every weight format of the table (each block size where a format has a choice, with
// and without double quantization) on the Weights panel's tensor, at the bits per weight it really
// stores (constants included): SQNR or RMSE against bits per weight, coloured by family, the Pareto
// front as a step line, a bits budget whose winner is named, and a sortable table of the same rows.
// The numbers are core::sweepFormats' (ui/equal_bits_model.hpp runs it on a worker).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "quant/format_table.hpp"
#include "ui/equal_bits_model.hpp"
#include "ui/panels.hpp"
#include "ui/plot.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
// One colour per family (families() order); none is the budget's yellow.
const ImU32 kFamilyColours[] = {
    IM_COL32(90, 170, 255, 255),  IM_COL32(255, 150, 60, 255),  IM_COL32(110, 210, 110, 255),
    IM_COL32(240, 90, 90, 255),   IM_COL32(195, 135, 255, 255), IM_COL32(215, 170, 120, 255),
    IM_COL32(80, 225, 225, 255),  IM_COL32(255, 120, 200, 255), IM_COL32(170, 170, 170, 255),
};
constexpr ImU32 kBudgetBand = IM_COL32(240, 215, 80, 34);
constexpr ImU32 kBudgetRing = IM_COL32(255, 235, 120, 255);
constexpr ImU32 kFront = IM_COL32(235, 235, 240, 200);
constexpr ImU32 kLabel = IM_COL32(210, 210, 215, 255);

ImU32 familyColour(const char* family) {
  const auto& f = families();
  for (std::size_t i = 0; i < f.size(); ++i)
    if (std::string(f[i]) == family) return kFamilyColours[i % std::size(kFamilyColours)];
  return kFamilyColours[std::size(kFamilyColours) - 1];
}

// Does an item `w` wide still fit on the current line?
bool fitsOnLine(float w) {
  const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w;
  return right <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
}

std::string blocksizeText(const SweepRow& r) { return std::to_string(r.settings.blocksize); }

// A check mark drawn in the current cell (the font has no U+2713).
void checkMark(ImU32 colour) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float h = ImGui::GetTextLineHeight(), t = std::max(1.5f, h * 0.1f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 a(p.x + h * 0.15f, p.y + h * 0.55f), b(p.x + h * 0.4f, p.y + h * 0.8f), c(p.x + h * 0.85f, p.y + h * 0.2f);
  dl->AddLine(a, b, colour, t);
  dl->AddLine(b, c, colour, t);
  ImGui::Dummy(ImVec2(h, h));
}

// The legend: a swatch and the title of each family the rows have, flowing onto more lines.
void legend(const std::vector<SweepRow>& rows) {
  const float fs = ImGui::GetFontSize();
  bool first = true;
  for (const char* f : families()) {
    if (std::none_of(rows.begin(), rows.end(), [&](const SweepRow& r) { return r.ok && std::string(familyOf(r)) == f; })) continue;
    const char* title = familyTitle(f);
    const float w = fs * 1.3f + ImGui::CalcTextSize(title).x;
    if (!first) {
      const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x * 2 + w;
      if (right < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 2);
    }
    first = false;
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::Dummy(ImVec2(w, ImGui::GetTextLineHeight()));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float y = p0.y + ImGui::GetTextLineHeight() * 0.5f;
    dl->AddCircleFilled(ImVec2(p0.x + fs * 0.45f, y), std::max(3.0f, fs * 0.3f), familyColour(f));
    dl->AddText(ImVec2(p0.x + fs * 1.3f, p0.y), ImGui::GetColorU32(ImGuiCol_Text), title);
  }
  // The marks.
  const char* hint = "white ring: Pareto front, yellow: the budget";
  if (fitsOnLine(ImGui::CalcTextSize(hint).x + ImGui::GetStyle().ItemSpacing.x * 2)) ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 2);
  ImGui::TextDisabled("%s", hint);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Pareto front: no other format has fewer or equal bits per weight and a higher SQNR.\n"
                      "The step line is the best SQNR any format reaches at that many bits or fewer.");
}

void tooltip(const SweepRow& r, bool budget, bool winner) {
  ImGui::BeginTooltip();
  ImGui::Text("%s  (%s)", r.label.c_str(), familyTitle(familyOf(r)));
  ImGui::TextDisabled("%s", formatDesc(r.settings.format).description);
  ImGui::Text("%.4f bits per weight (constants included)", r.bitsPerWeight);
  ImGui::Text("SQNR %.3f dB   RMSE %.6g   max error %.6g", r.sqnrDb, r.rmse, r.maxAbsError);
  if (r.pareto) ImGui::TextUnformatted("on the Pareto front");
  if (winner) ImGui::TextUnformatted("wins the budget");
  else if (budget) ImGui::TextUnformatted("inside the budget");
  ImGui::EndTooltip();
}

// The plot of SQNR (or RMSE) against bits per weight; returns the row under the mouse.
std::optional<std::size_t> sweepPlot(ImVec2 size, const std::vector<SweepRow>& rows, bool rmse, double lo, double hi,
                                     std::optional<std::size_t> winner, int highlight) {
  double (*value)(const SweepRow&) = rmse ? rmseOf : sqnrOf;
  double xlo = 1e300, xhi = -1e300, ylo = 1e300, yhi = -1e300;
  for (const SweepRow& r : rows) {
    if (!r.ok) continue;
    const double v = value(r);
    if (!std::isfinite(v) || (rmse && v <= 0)) continue;
    xlo = std::min(xlo, r.bitsPerWeight);
    xhi = std::max(xhi, r.bitsPerWeight);
    ylo = std::min(ylo, v);
    yhi = std::max(yhi, v);
  }
  if (xlo > xhi) {
    xlo = 2;
    xhi = 10;
    ylo = rmse ? 1e-3 : 0;
    yhi = rmse ? 1 : 50;
  }
  // Room for the budget band and the labels at the ends.
  xlo = std::min(xlo, lo);
  xhi = std::max(xhi, hi);
  const double xpad = std::max(0.25, (xhi - xlo) * 0.06);
  plot::AxisSpec x{std::max(0.0, xlo - xpad), xhi + xpad, plot::Scale::Linear, "bits per weight", "constants included"};
  plot::AxisSpec y;
  if (rmse) {
    y = {ylo / 1.6, yhi * 1.6, plot::Scale::Log10, "RMSE", "lower is better"};
  } else {
    const double ypad = std::max(1.0, (yhi - ylo) * 0.07);
    y = {ylo - ypad, yhi + ypad, plot::Scale::Linear, "SQNR", "dB, higher is better"};
  }
  plot::Axes ax("sweep", size, x, y);
  ImDrawList* dl = ax.drawList();
  const float fs = ImGui::GetFontSize(), r = std::max(3.0f, fs * 0.3f), thick = std::max(1.5f, fs * 0.1f);
  // The budget: a band.
  dl->AddRectFilled(ImVec2(ax.sx(lo), ax.min().y), ImVec2(std::max(ax.sx(hi), ax.sx(lo) + 2), ax.max().y), kBudgetBand);
  // The Pareto front: a step line.
  const StepLine steps = paretoSteps(rows, value);
  if (steps.x.size() >= 2) ax.line(steps.x, steps.y, kFront, thick);
  // The points, and which to label first: the winner, the front, the budget, the rest by SQNR.
  std::vector<std::size_t> shown;
  std::vector<float> px, py, widths, radii;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SweepRow& row = rows[i];
    if (!row.ok || !std::isfinite(value(row)) || (rmse && value(row) <= 0)) continue;
    shown.push_back(i);
    px.push_back(ax.sx(row.bitsPerWeight));
    py.push_back(ax.sy(value(row)));
    widths.push_back(ImGui::CalcTextSize(row.label.c_str()).x);
    // The outermost ring drawn around the point (below).
    radii.push_back(winner == i ? r * 3.3f : inBudget(row, lo, hi) ? (row.pareto ? r * 2.6f : r * 1.9f) : row.pareto ? r * 1.9f : r);
  }
  std::vector<std::size_t> order(shown.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  auto rank = [&](std::size_t k) {
    const SweepRow& row = rows[shown[k]];
    return winner == shown[k] ? 0 : row.pareto ? 1 : inBudget(row, lo, hi) ? 2 : 3;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return rows[shown[a]].sqnrDb > rows[shown[b]].sqnrDb;
  });
  const LabelBox bounds{ax.min().x + 2, ax.min().y + 2, ax.max().x - 2, ax.max().y - 2};
  const auto labels = placeLabels(px, py, widths, ImGui::GetTextLineHeight(), radii, fs * 0.2f, order, bounds);
  for (std::size_t k = 0; k < shown.size(); ++k) {
    const SweepRow& row = rows[shown[k]];
    const ImVec2 c(px[k], py[k]);
    const bool budget = inBudget(row, lo, hi);
    dl->AddCircleFilled(c, budget ? r * 1.25f : r, familyColour(familyOf(row)));
    if (row.pareto) dl->AddCircle(c, r * 1.9f, kFront, 0, thick);
    if (budget) dl->AddCircle(c, row.pareto ? r * 2.6f : r * 1.9f, kBudgetRing, 0, thick);
    if (winner == shown[k]) dl->AddCircle(c, r * 3.3f, kBudgetRing, 0, thick * 1.6f);
    if (highlight >= 0 && std::size_t(highlight) == shown[k]) dl->AddCircle(c, r * 4.0f, IM_COL32(255, 255, 255, 255), 0, thick);
  }
  for (std::size_t k = 0; k < shown.size(); ++k)
    if (labels[k]) {
      const SweepRow& row = rows[shown[k]];
      dl->AddText(ImVec2(labels[k]->x0, labels[k]->y0), winner == shown[k] ? kBudgetRing : kLabel, row.label.c_str());
    }
  // Hover: the nearest point.
  std::optional<std::size_t> hit;
  if (ax.hovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    float best = fs * fs;
    for (std::size_t k = 0; k < shown.size(); ++k) {
      const float dx = px[k] - m.x, dy = py[k] - m.y, d2 = dx * dx + dy * dy;
      if (d2 < best) {
        best = d2;
        hit = shown[k];
      }
    }
  }
  ax.end();
  return hit;
}

// The width the table's columns take at the current font: the widest text of each column (its header
// or its widest value), the cell padding, the sort arrow and the scroll bar.
float tableWidth() {
  const char* widest[] = {"nvfp4-1level", "block", "dq", "10.0000", "SQNR dB", "0.0009999", "max error", "Pareto"};
  const ImGuiStyle& st = ImGui::GetStyle();
  float w = ImGui::GetTextLineHeight() * 0.6f + st.ItemSpacing.x;  // the family dot of the first column
  for (const char* t : widest) w += ImGui::CalcTextSize(t).x + st.CellPadding.x * 2 + 1;
  return w + ImGui::GetFontSize() * 4.0f + st.ScrollbarSize + st.WindowPadding.x;
}

// The table of the rows that apply, sortable by every column; budget rows tinted, the winner more.
std::optional<std::size_t> sweepTable(ImVec2 size, const std::vector<SweepRow>& rows, double lo, double hi,
                                      std::optional<std::size_t> winner) {
  std::optional<std::size_t> hovered;
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                ImGuiTableFlags_BordersOuter | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("formats", int(EqualBitsColumn::Count), flags, size)) return hovered;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("format", ImGuiTableColumnFlags_None, 0, ImGuiID(EqualBitsColumn::Format));
  ImGui::TableSetupColumn("block", ImGuiTableColumnFlags_None, 0, ImGuiID(EqualBitsColumn::Blocksize));
  ImGui::TableSetupColumn("dq", ImGuiTableColumnFlags_None, 0, ImGuiID(EqualBitsColumn::DoubleQuant));
  ImGui::TableSetupColumn("bits/w", ImGuiTableColumnFlags_DefaultSort, 0, ImGuiID(EqualBitsColumn::Bits));
  ImGui::TableSetupColumn("SQNR dB", ImGuiTableColumnFlags_PreferSortDescending, 0, ImGuiID(EqualBitsColumn::Sqnr));
  ImGui::TableSetupColumn("RMSE", ImGuiTableColumnFlags_None, 0, ImGuiID(EqualBitsColumn::Rmse));
  ImGui::TableSetupColumn("max error", ImGuiTableColumnFlags_None, 0, ImGuiID(EqualBitsColumn::MaxError));
  ImGui::TableSetupColumn("Pareto", ImGuiTableColumnFlags_PreferSortDescending, 0, ImGuiID(EqualBitsColumn::Pareto));
  ImGui::TableHeadersRow();
  EqualBitsColumn column = EqualBitsColumn::Bits;
  bool ascending = true;
  if (const ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsCount > 0) {
    column = EqualBitsColumn(specs->Specs[0].ColumnUserID);
    ascending = specs->Specs[0].SortDirection != ImGuiSortDirection_Descending;
  }
  for (std::size_t i : sortedRows(rows, column, ascending)) {
    const SweepRow& r = rows[i];
    ImGui::TableNextRow();
    if (winner == i) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(240, 215, 80, 90));
    else if (inBudget(r, lo, hi)) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(240, 215, 80, 36));
    ImGui::TableSetColumnIndex(0);
    ImGui::PushID(int(i));
    ImGui::Selectable("##row", false, ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap);
    if (ImGui::IsItemHovered()) hovered = i;
    ImGui::PopID();
    ImGui::SameLine(0, 0);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(p.x + h * 0.3f, p.y + h * 0.5f), h * 0.22f, familyColour(familyOf(r)));
    ImGui::Dummy(ImVec2(h * 0.6f, h));
    ImGui::SameLine();
    ImGui::TextUnformatted(formatDesc(r.settings.format).name);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextUnformatted(blocksizeText(r).c_str());
    ImGui::TableSetColumnIndex(2);
    ImGui::TextUnformatted(r.settings.doubleQuant ? "dq" : "");
    ImGui::TableSetColumnIndex(3);
    ImGui::Text("%.4f", r.bitsPerWeight);
    ImGui::TableSetColumnIndex(4);
    ImGui::Text("%.2f", r.sqnrDb);
    ImGui::TableSetColumnIndex(5);
    ImGui::Text("%.4g", r.rmse);
    ImGui::TableSetColumnIndex(6);
    ImGui::Text("%.4g", r.maxAbsError);
    ImGui::TableSetColumnIndex(7);
    if (r.pareto) checkMark(kFront);
  }
  ImGui::EndTable();
  return hovered;
}


}  // namespace

template <>
void drawPanel<panelId("equal-bits")>(const AppState& s, UiState& ui, Commands&) {
  const Derived& d = s.derived;
  const WeightsView& w = d.weights;
  if (w.values.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextDisabled("no tensor%s%s (the Weights panel chooses it)", w.error.empty() ? "" : ": ", w.error.c_str());
    ImGui::PopTextWrapPos();
    return;
  }
  if (!d.equalBits) return;
  const EqualBitsJob& j = *d.equalBits;
  const std::vector<SweepRow>& rows = j.rows;
  // Sentences with numbers wrap between words only (ImGui's wrapping would break "0.05" after its '.').
  const ImVec4 textColour = ImGui::GetStyleColorVec4(ImGuiCol_Text);
  char summary[512];
  if (j.running) {
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - j.started).count();
    std::snprintf(summary, sizeof summary, "%s (the Weights panel's tensor): quantizing it with every format on the CPU... %.1f s",
                  j.description.c_str(), sec);
    plot::flowWords(summary, textColour);
  } else {
    std::size_t ok = 0;
    for (const SweepRow& r : rows) ok += r.ok;
    std::snprintf(summary, sizeof summary, "%s (the Weights panel's tensor): %zu format settings, %zu apply; CPU reference core, %.2f s",
                  j.description.c_str(), rows.size(), ok, j.elapsedMs / 1000.0);
    plot::flowWords(summary, textColour);
  }
  // Controls: the y axis and the budget.
  int axis = ui.equalBitsRmse ? 1 : 0;
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("plot");
  ImGui::SameLine();
  if (ImGui::RadioButton("SQNR (dB)", &axis, 0)) ui.equalBitsRmse = false;
  ImGui::SameLine();
  if (ImGui::RadioButton("RMSE", &axis, 1)) ui.equalBitsRmse = true;
  const char* budgetLabel = "budget (bits per weight)";
  const float budgetW = ImGui::GetFontSize() * 13 + ImGui::CalcTextSize(budgetLabel).x;
  if (fitsOnLine(budgetW + ImGui::GetFontSize() * 1.5f)) ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  float lo = ui.equalBitsLo, hi = ui.equalBitsHi;
  if (ImGui::DragFloatRange2(budgetLabel, &lo, &hi, 0.01f, 1.0f, 16.0f, "from %.3f", "to %.3f",
                             ImGuiSliderFlags_AlwaysClamp)) {
    ui.equalBitsLo = std::min(lo, hi);
    ui.equalBitsHi = std::max(lo, hi);
  }
  lo = ui.equalBitsLo;
  hi = ui.equalBitsHi;
  if (rows.empty()) {
    ImGui::TextDisabled(j.running ? "computing..." : "no rows");
    return;
  }
  const std::optional<std::size_t> winner = budgetWinner(rows, lo, hi);
  plot::flowWords(budgetSentence(rows, lo, hi),
                  winner ? ImVec4(1, 0.92f, 0.47f, 1) : ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  legend(rows);
  // The formats that do not apply go under the plot and the table; their height is kept free.
  const std::vector<std::string> refused = notApplicableLines(rows);
  float refusedH = 0;
  for (const std::string& line : refused)
    refusedH += ImGui::CalcTextSize(line.c_str(), nullptr, false, ImGui::GetContentRegionAvail().x).y + ImGui::GetStyle().ItemSpacing.y;
  // At most a third of the space left: beyond that the list scrolls in its own child.
  const float refusedMax = std::max(ImGui::GetTextLineHeightWithSpacing() * 2, ImGui::GetContentRegionAvail().y * 0.3f);
  const bool refusedScrolls = refusedH > refusedMax;
  if (refusedScrolls) refusedH = refusedMax;
  // The plot beside the table when the panel is wide enough for both, else the table under it.
  const float fs = ImGui::GetFontSize();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.y -= refusedH;
  const float tableW = std::min(avail.x, tableWidth());
  const float gap = ImGui::GetStyle().ItemSpacing.x * 2;
  const bool side = avail.x - tableW - gap >= fs * 24;
  const float minH = fs * 10;
  // The previous frame's hovered table row highlights its point.
  ImGuiStorage* st = ImGui::GetStateStorage();
  const ImGuiID hoverKey = ImGui::GetID("hovered row");
  const int highlight = st->GetInt(hoverKey, -1);
  std::optional<std::size_t> hit, rowHover;
  if (side) {
    const float h = std::max(minH, avail.y);
    hit = sweepPlot(ImVec2(avail.x - tableW - gap, h), rows, ui.equalBitsRmse, lo, hi, winner, highlight);
    ImGui::SameLine(0, gap);
    rowHover = sweepTable(ImVec2(tableW, h), rows, lo, hi, winner);
  } else {
    const float h = std::max(minH, (avail.y - ImGui::GetStyle().ItemSpacing.y) * 0.68f);
    hit = sweepPlot(ImVec2(avail.x, h), rows, ui.equalBitsRmse, lo, hi, winner, highlight);
    rowHover = sweepTable(ImVec2(avail.x, std::max(fs * 5, ImGui::GetContentRegionAvail().y - refusedH)), rows, lo, hi, winner);
  }
  if (refusedScrolls) ImGui::BeginChild("not applicable", ImVec2(0, refusedH - ImGui::GetStyle().ItemSpacing.y));
  ImGui::PushTextWrapPos(0.0f);
  for (const std::string& line : refused) ImGui::TextColored(ImVec4(1, 0.65f, 0.45f, 1), "%s", line.c_str());
  ImGui::PopTextWrapPos();
  if (refusedScrolls) ImGui::EndChild();
  st->SetInt(hoverKey, rowHover ? int(*rowHover) : -1);
  if (hit) tooltip(rows[*hit], inBudget(rows[*hit], lo, hi), winner == *hit);
}

}  // namespace qviz::ui
