// Weights: a synthetic or loaded tensor quantized block-wise (NF4, FP4, int, FP8, ggml); the values
// of one block with the format's levels overlaid, how often each level is used over the whole
// tensor, a per-block error heatmap, and every format side by side (bits per parameter, SQNR, max error).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/panels.hpp"
#include "ui/plot.hpp"
#include "ui/weights_model.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const char* kSources[] = {"normal", "heavy-tailed (outliers)", "uniform", "file (.npy / .safetensors)"};
const int kBlocksizes[] = {32, 64, 128, 256, 512, 1024, 2048, 4096};

void sourceControls(const WeightsDoc& w, UiState& ui, Commands& cmd) {
  const float fw = ImGui::GetFontSize() * 10;
  int src = int(w.source);
  ImGui::SetNextItemWidth(fw);
  if (ImGui::Combo("tensor", &src, kSources, 4)) cmd.edit("weights source", [src](Document& d) { d.weights.source = WeightSource(src); });
  ImGui::SameLine();
  if (w.source != WeightSource::File) {
    int sizeLog = int(std::lround(std::log2(double(std::max(64, w.size)))));
    ImGui::SetNextItemWidth(fw);
    char label[32];
    std::snprintf(label, sizeof label, "%d values", 1 << sizeLog);
    if (ImGui::SliderInt("size", &sizeLog, 10, 22, label))
      cmd.edit("weights size", [sizeLog](Document& d) { d.weights.size = 1 << sizeLog; });
    ImGui::SameLine();
    int seed = int(w.seed);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::InputInt("seed##w", &seed)) cmd.edit("weights seed", [seed](Document& d) { d.weights.seed = std::uint32_t(std::max(0, seed)); });
  } else {
    char buf[1024];
    std::snprintf(buf, sizeof buf, "%s", ui.weightsPathEdit.empty() ? w.path.c_str() : ui.weightsPathEdit.c_str());
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 18);
    if (ImGui::InputText("##path", buf, sizeof buf)) ui.weightsPathEdit = buf;
    ImGui::SameLine();
    if (ImGui::Button("Load")) {
      const std::string path = ui.weightsPathEdit.empty() ? w.path : ui.weightsPathEdit;
      cmd.edit("load tensor", [path](Document& d) {
        d.weights.path = path;
        d.weights.tensorName.clear();
      });
    }
    ImGui::SameLine();
    ImGui::TextDisabled("(or drop a file on the window)");
  }
}

void formatControls(const WeightsDoc& w, Commands& cmd) {
  const float fw = ImGui::GetFontSize() * 7;
  ImGui::SetNextItemWidth(fw);
  if (ImGui::BeginCombo("format", tensorFormatName(w.format))) {
    for (const FormatDesc& f : tensorFormats())
      if (ImGui::Selectable(f.name, w.format == f.format))
        cmd.edit("format", [g = f.format](Document& d) { d.weights.format = g; });
    ImGui::EndCombo();
  }
  const FormatDesc& desc = formatDesc(w.format);
  const bool fixed = desc.fixedBlocksize != 0;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fw);
  ImGui::BeginDisabled(fixed);
  const std::string fixedLabel = std::to_string(desc.fixedBlocksize) + " (" + desc.familyLabel + ")";
  if (ImGui::BeginCombo("blocksize", fixed ? fixedLabel.c_str() : std::to_string(w.blocksize).c_str())) {
    for (int b : kBlocksizes)
      if (ImGui::Selectable(std::to_string(b).c_str(), b == w.blocksize)) cmd.edit("blocksize", [b](Document& d) { d.weights.blocksize = b; });
    ImGui::EndCombo();
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  const bool canDq = desc.doubleQuant;
  bool dq = w.doubleQuant && canDq;
  ImGui::BeginDisabled(!canDq);
  if (ImGui::Checkbox("double quantization", &dq)) cmd.edit("double quant", [dq](Document& d) { d.weights.doubleQuant = dq; });
  ImGui::EndDisabled();
}

void blockHistogram(const WeightsView& v, std::size_t block) {
  const std::size_t bs = std::size_t(v.q.blocksize);
  const std::size_t begin = block * bs, end = std::min(v.values.size(), begin + bs);
  float lo = 0, hi = 0;
  for (std::size_t i = begin; i < end; ++i) {
    lo = std::min(lo, v.values[i]);
    hi = std::max(hi, v.values[i]);
  }
  const std::vector<float> levels = blockLevels(v.q, block);
  for (float l : levels) {
    lo = std::min(lo, l);
    hi = std::max(hi, l);
  }
  const float span = std::max(1e-12f, hi - lo) * 1.04f, base = lo - span * 0.02f;
  const int bins = 96;
  std::vector<double> counts(bins, 0.0), used(bins, 0.0);
  auto binOf = [&](float x) { return std::clamp(int((x - base) / span * float(bins)), 0, bins - 1); };
  for (std::size_t i = begin; i < end; ++i) {
    counts[std::size_t(binOf(v.values[i]))] += 1;
    used[std::size_t(binOf(v.dequant[i]))] += 1;
  }
  std::vector<double> marks;
  for (float l : levels) marks.push_back((double(l) - double(base)) / double(span) * bins - 0.5);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("block %zu: its values (grey) and the same values after quantization (blue); the %zu levels of the "
                      "block in yellow", block, levels.size());
  ImGui::PopTextWrapPos();
  histogramPlot("block", {{&counts, IM_COL32(150, 150, 150, 170), true}, {&used, IM_COL32(110, 200, 255, 255), false}},
                ImVec2(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 10), marks, "weight value", double(base),
                double(base + span));
}

// Share of the tensor's values on each code, bars in the order of the level values (4-bit and 2-bit
// formats; 8-bit ones get one line). For NF4 it shows what "equal probability per level" becomes after
// absmax scaling: the end codes hold little more than the block maxima.
void levelUse(const WeightsView& v) {
  const CodeUse& u = v.codeUse;
  if (u.total == 0) return;
  const std::size_t codes = u.counts.size();
  if (codes > 16) {
    std::size_t used = 0, top = 0;
    for (std::size_t c = 0; c < codes; ++c) {
      used += u.counts[c] ? 1 : 0;
      if (u.counts[c] > u.counts[top]) top = c;
    }
    ImGui::TextDisabled("codes used: %zu of %zu; the most used one holds %.2f%% of the values", used, codes,
                        100.0 * u.fraction(top));
    return;
  }
  // Codebook formats scaled by the block absmax whose table ends at -1 and +1 (nf4, fp4).
  const Codebook* cb = formatDesc(v.q.format).codebook;
  const bool table4 = cb && !cb->sorted.empty() && cb->sorted.front() == -1.0f && cb->sorted.back() == 1.0f;
  const std::vector<float>* tab = formatDesc(v.q.format).values;
  std::vector<std::size_t> order(codes);
  for (std::size_t c = 0; c < codes; ++c) order[c] = c;
  if (tab) std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return (*tab)[a] < (*tab)[b]; });
  double maxF = 1.0 / double(codes);
  std::size_t lo = 0, hi = 0;
  for (std::size_t c = 0; c < codes; ++c) {
    maxF = std::max(maxF, u.fraction(c));
    if (u.counts[c] < u.counts[lo]) lo = c;
    if (u.counts[c] > u.counts[hi]) hi = c;
  }
  const float fh = ImGui::GetFontSize();
  // y: the share in %, from 0 to a 1-2-5 value above the largest; x: one bar per code, in the order
  // of the level values, labelled with them (every second label when they would touch).
  const double topPct = [&] {
    const plot::Ticks t = plot::niceTicks(0, 100.0 * maxF * 1.05, 5);
    return t.step > 0 ? std::ceil(100.0 * maxF * 1.05 / t.step - 1e-9) * t.step : 100.0 * maxF * 1.05;
  }();
  plot::AxisSpec xs{-0.5, double(codes) - 0.5, plot::Scale::Linear, tab ? "level value (codes in the order of their values)" : "code"};
  xs.ticks = false;
  plot::Axes ax("leveluse", ImVec2(ImGui::GetContentRegionAvail().x, fh * 9), xs,
                plot::AxisSpec{0, topPct, plot::Scale::Linear, "share of the values", "%"});
  ImDrawList* dl = ax.drawList();
  const float bw = ax.sx(1) - ax.sx(0);
  for (std::size_t i = 0; i < codes; ++i) {
    const std::size_t c = order[i];
    const float xc = ax.sx(double(i));
    dl->AddRectFilled(ImVec2(xc - bw * 0.5f + 1, ax.sy(100.0 * u.fraction(c))), ImVec2(xc + bw * 0.5f - 1, ax.max().y),
                      IM_COL32(110, 200, 255, 255));
  }
  ax.hLine(100.0 / double(codes), IM_COL32(255, 200, 60, 255), "equal share");
  ax.end();
  {
    // The level labels under the bars (drawn after end(): outside the plot's clip rectangle).
    float widest = 0;
    std::vector<std::string> labels(codes);
    for (std::size_t i = 0; i < codes; ++i) {
      const std::size_t c = order[i];
      char label[32];
      if (tab) std::snprintf(label, sizeof label, "%.2f", double((*tab)[c]));
      else std::snprintf(label, sizeof label, "%zu", c);
      labels[i] = label;
      widest = std::max(widest, ImGui::CalcTextSize(label).x);
    }
    const std::size_t every = widest + fh * 0.3f < bw ? 1 : widest + fh * 0.3f < 2 * bw ? 2 : 4;
    for (std::size_t i = 0; i < codes; i += every) {
      const float w = ImGui::CalcTextSize(labels[i].c_str()).x;
      dl->AddText(ImVec2(ax.sx(double(i)) - w * 0.5f, ax.max().y + fh * 0.2f), IM_COL32(175, 175, 180, 255), labels[i].c_str());
    }
  }
  if (ax.hovered()) {
    const std::size_t i = std::min(codes - 1, std::size_t(std::max(0.0f, ax.mouseX() - ax.min().x) / bw));
    const std::size_t c = order[i];
    ImGui::SetTooltip("code %zu%s: %llu of %llu values (%.2f%%)", c, tab ? (" = " + std::to_string((*tab)[c])).c_str() : "",
                      static_cast<unsigned long long>(u.counts[c]), static_cast<unsigned long long>(u.total), 100.0 * u.fraction(c));
  }
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("share of all %llu values on each level (yellow: an equal share, %.2f%%); least used %.2f%%, most "
                      "used %.2f%%",
                      static_cast<unsigned long long>(u.total), 100.0 / double(codes), 100.0 * u.fraction(lo),
                      100.0 * u.fraction(hi));
  if (table4) {
    const std::size_t nb = v.blockRmse.size();
    ImGui::TextDisabled("every block's largest |value| is coded -1 or +1: %zu blocks, %.2f%% of the values, of the %.2f%% "
                        "on the two ends",
                        nb, 100.0 * double(nb) / double(u.total), 100.0 * (u.fraction(order.front()) + u.fraction(order.back())));
  }
  ImGui::PopTextWrapPos();
}

std::size_t blockHeatmap(const WeightsView& v, std::size_t selected) {
  const std::size_t nb = v.blockRmse.size();
  if (nb == 0) return selected;
  // Up to 4096 cells; larger tensors show the worst block of each group.
  const std::size_t group = (nb + 4095) / 4096, cells = (nb + group - 1) / group;
  const std::size_t cols = std::size_t(std::ceil(std::sqrt(double(cells) * 4.0)));
  const std::size_t rows = (cells + cols - 1) / cols;
  const float w = ImGui::GetContentRegionAvail().x;
  const float cell = std::max(2.0f, std::min(w / float(cols), ImGui::GetFontSize() * 1.2f));
  // The colours span the blocks' RMSE from the smallest to the largest, as the colour bar says.
  const plot::Range range = plot::dataRange(v.blockRmse);
  const double maxR = range.hi, spanR = range.hi > range.lo ? range.hi - range.lo : 1.0;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("heat", ImVec2(cell * float(cols), cell * float(rows)));
  for (std::size_t c = 0; c < cells; ++c) {
    double r = 0;
    for (std::size_t b = c * group; b < std::min(nb, (c + 1) * group); ++b) r = std::max(r, v.blockRmse[b]);
    const ImVec2 a(p.x + float(c % cols) * cell, p.y + float(c / cols) * cell);
    dl->AddRectFilled(a, ImVec2(a.x + cell - (cell > 4 ? 1 : 0), a.y + cell - (cell > 4 ? 1 : 0)), heatColor(float((r - range.lo) / spanR)));
    if (selected / group == c) dl->AddRect(a, ImVec2(a.x + cell, a.y + cell), IM_COL32(255, 255, 255, 255), 0, 0, 2.0f);
  }
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const std::size_t c = std::size_t((m.y - p.y) / cell) * cols + std::size_t((m.x - p.x) / cell);
    if (c < cells) {
      ImGui::SetTooltip("block %zu: RMSE %.4g (max %.4g)", c * group, v.blockRmse[c * group], maxR);
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) selected = c * group;
    }
  }
  plot::drawColourBarH("block RMSE", std::min(w, ImGui::GetFontSize() * 30), range, heatColor, "block RMSE");
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("per-block RMSE, %zu blocks%s; darker = smaller error; click a block to inspect it", nb,
                      group > 1 ? " (each cell: the worst of a group)" : "");
  ImGui::PopTextWrapPos();
  return selected;
}

void formatTable(const WeightsView& v, TensorFormat current) {
  if (!ImGui::BeginTable("formats", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
    return;
  for (const char* h : {"format", "bits / param", "SQNR", "RMSE", "max |error|"}) ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const FormatRow& r : v.table) {
    ImGui::TableNextRow();
    if (r.format == current) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0, IM_COL32(60, 80, 120, 255));
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(tensorFormatName(r.format));
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%.3f", r.stats.bitsPerParam);
    ImGui::TableSetColumnIndex(2);
    if (std::isinf(r.stats.sqnrDb)) ImGui::TextUnformatted("exact");
    else ImGui::Text("%.2f dB", r.stats.sqnrDb);
    ImGui::TableSetColumnIndex(3);
    ImGui::Text("%.4g", r.stats.rmse);
    ImGui::TableSetColumnIndex(4);
    ImGui::Text("%.4g", r.stats.maxAbsError);
  }
  ImGui::EndTable();
}
}  // namespace

template <>
void drawPanel<panelId("weights")>(const AppState& s, UiState& ui, Commands& cmd) {
  const WeightsDoc& w = s.doc.weights;
  const WeightsView& v = s.derived.weights;
  sourceControls(w, ui, cmd);
  formatControls(w, cmd);
  if (!v.error.empty()) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", v.error.c_str());
    return;
  }
  if (v.values.empty()) return;
  {
    // The summary flows onto more lines in a narrow panel, each figure whole.
    char b[5][64];
    std::snprintf(b[0], sizeof b[0], "%s:", tensorFormatName(v.q.format));
    std::snprintf(b[1], sizeof b[1], "%.3f bits/param,", v.stats.bitsPerParam);
    std::snprintf(b[2], sizeof b[2], "SQNR %.2f dB,", v.stats.sqnrDb);
    std::snprintf(b[3], sizeof b[3], "RMSE %.4g, max error %.4g", v.stats.rmse, v.stats.maxAbsError);
    std::snprintf(b[4], sizeof b[4], "(%.1f ms)", v.elapsedMs);
    plot::flowText({v.description + "  |", b[0], b[1], b[2], b[3], b[4]}, ImGui::GetStyleColorVec4(ImGuiCol_Text));
  }
  const std::size_t nb = v.blockRmse.size();
  int block = std::clamp(w.block, 0, int(nb) - 1);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
  if (ImGui::SliderInt("block", &block, 0, int(nb) - 1)) cmd.edit("block", [block](Document& d) { d.weights.block = block; });
  {
    // Beside the slider while it fits, else under it.
    char a[48], b[64];
    std::snprintf(a, sizeof a, "absmax/scale %.4g", double(v.q.absmax[std::size_t(block)]));
    std::snprintf(b, sizeof b, ", after double quantization %.4g", v.q.doubleQuant ? double(v.q.absmaxDq[std::size_t(block)]) : 0.0);
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + ImGui::CalcTextSize(a).x <= right) ImGui::SameLine();
    const ImVec4 text = ImGui::GetStyleColorVec4(ImGuiCol_Text);
    if (v.q.doubleQuant) plot::flowText({a, b}, text);
    else ImGui::TextUnformatted(a);
  }
  blockHistogram(v, std::size_t(block));
  levelUse(v);
  const std::size_t picked = blockHeatmap(v, std::size_t(block));
  if (picked != std::size_t(block)) cmd.edit("block", [picked](Document& d) { d.weights.block = int(picked); });
  formatTable(v, v.q.format);
}

}  // namespace qviz::ui
