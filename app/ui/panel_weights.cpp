// Weights: a synthetic or loaded tensor quantized block-wise with any format of the table (the
// Format menu groups them by family); the block inspector (a raw block's structure, constants,
// sub-block scales, the values before and after with their codes), the whole tensor's histogram on
// a log count axis with the levels of the selected block and of every block, how often each level
// is used, a per-block error heatmap, every format side by side, and "About this format".
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

// SameLine when an item `width` pixels wide (its label included) still fits on the line, so large
// fonts (presenter mode) wrap the controls instead of cutting them off.
void sameLineIfFits(float width) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + width <= right) ImGui::SameLine();
}
float labelled(float itemWidth, const char* label) {
  return itemWidth + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
}

std::string fmt(float v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", double(v));
  return b;
}
std::string hex2(std::uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "%02X", v);
  return b;
}

void sourceControls(const WeightsDoc& w, UiState& ui, Commands& cmd) {
  const float fw = ImGui::GetFontSize() * 10;
  int src = int(w.source);
  ImGui::SetNextItemWidth(fw);
  if (ImGui::Combo("tensor", &src, kSources, 4)) cmd.edit("weights source", [src](Document& d) { d.weights.source = WeightSource(src); });
  if (w.source != WeightSource::File) {
    int sizeLog = int(std::lround(std::log2(double(std::max(64, w.size)))));
    sameLineIfFits(labelled(fw, "size"));
    ImGui::SetNextItemWidth(fw);
    char label[32];
    std::snprintf(label, sizeof label, "%d values", 1 << sizeLog);
    if (ImGui::SliderInt("size", &sizeLog, 10, 22, label))
      cmd.edit("weights size", [sizeLog](Document& d) { d.weights.size = 1 << sizeLog; });
    int seed = int(w.seed);
    sameLineIfFits(labelled(ImGui::GetFontSize() * 6, "seed"));
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::InputInt("seed##w", &seed)) cmd.edit("weights seed", [seed](Document& d) { d.weights.seed = std::uint32_t(std::max(0, seed)); });
  } else {
    ImGui::SameLine();
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
  const float fh = ImGui::GetFontSize();
  const FormatDesc& desc = formatDesc(w.format);
  char preview[96];
  std::snprintf(preview, sizeof preview, "%s  (%.3f bits/weight)", desc.name,
                bitsPerParam({w.format, w.blocksize, w.doubleQuant && desc.doubleQuant}, 0));
  // As wide as the preview needs, less where the panel is narrower (presenter mode), its label kept.
  const float avail = ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemInnerSpacing.x - ImGui::CalcTextSize("format").x;
  ImGui::SetNextItemWidth(std::max(fh * 6, std::min(fh * 16, avail)));
  if (ImGui::BeginCombo("format", preview, ImGuiComboFlags_HeightLargest)) {
    // Grouped by family under a header; each item with its bits per weight (scales included).
    for (const FormatGroup& g : formatMenuGroups()) {
      ImGui::Separator();
      ImGui::TextColored(ImVec4(0.95f, 0.8f, 0.4f, 1), "%s", g.header.c_str());
      for (TensorFormat f : g.formats) {
        const FormatDesc& fd = formatDesc(f);
        ImGui::PushID(fd.name);
        if (ImGui::Selectable("##item", w.format == f)) cmd.edit("format", [f](Document& d) { d.weights.format = f; });
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", fd.description);
        ImGui::SameLine(fh * 1.0f);
        ImGui::TextUnformatted(fd.name);
        ImGui::SameLine(fh * 8.5f);
        ImGui::TextDisabled("%.3f bits/weight", bitsPerParam({f, w.blocksize, w.doubleQuant && fd.doubleQuant}, 0));
        ImGui::PopID();
      }
    }
    ImGui::EndCombo();
  }
  const bool fixed = desc.fixedBlocksize != 0;
  const float fw = fh * 7;
  sameLineIfFits(labelled(fw, "blocksize"));
  ImGui::SetNextItemWidth(fw);
  ImGui::BeginDisabled(fixed);
  const std::string fixedLabel = std::to_string(desc.fixedBlocksize) + " (" + desc.familyLabel + ")";
  if (ImGui::BeginCombo("blocksize", fixed ? fixedLabel.c_str() : std::to_string(w.blocksize).c_str())) {
    for (int b : kBlocksizes)
      if (ImGui::Selectable(std::to_string(b).c_str(), b == w.blocksize)) cmd.edit("blocksize", [b](Document& d) { d.weights.blocksize = b; });
    ImGui::EndCombo();
  }
  ImGui::EndDisabled();
  const bool canDq = desc.doubleQuant;
  bool dq = w.doubleQuant && canDq;
  sameLineIfFits(ImGui::CalcTextSize("double quantization").x + ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x);
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

// ---- Block inspector ----------------------------------------------------------------------

std::string bitString(std::uint32_t raw, int bits) {
  std::string b;
  for (int i = bits - 1; i >= 0; --i) {
    b += ((raw >> i) & 1u) ? '1' : '0';
    if (i && i % 4 == 0 && bits > 8) b += '\'';
  }
  return b;
}

bool startsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

void constantsTable(const BlockView& bv) {
  const float fh = ImGui::GetFontSize();
  const int rows = int(bv.constants.size());
  if (rows == 0) return;
  const ImGuiStyle& st = ImGui::GetStyle();
  const float rowH = ImGui::GetTextLineHeight() + st.CellPadding.y * 2;
  const float height = rowH * float(std::min(rows, 10) + 1) + st.ScrollbarSize + st.CellPadding.y * 2;
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit |
                                ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX;
  if (!ImGui::BeginTable("constants", 5, flags, ImVec2(std::min(ImGui::GetContentRegionAvail().x, fh * 40), height))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* h : {"constant", "bits", "raw (hex)", "decoded value", "raw (binary)"}) ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const BlockView::Constant& c : bv.constants) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(c.name.c_str());
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%d", c.rawBits);
    ImGui::TableSetColumnIndex(2);
    ImGui::Text("0x%0*X", std::max(1, (c.rawBits + 3) / 4), c.raw);
    ImGui::TableSetColumnIndex(3);
    ImGui::Text("%.6g", double(c.value));
    ImGui::TableSetColumnIndex(4);
    ImGui::TextUnformatted(bitString(c.raw, c.rawBits).c_str());
  }
  ImGui::EndTable();
}

// A k-quant's (or IQ4_XS's, ggml NVFP4's) sub-block scales and mins as bars, in sub-block order.
void subBlockScales(const BlockView& bv) {
  std::vector<double> scales, mins;
  for (const BlockView::Constant& c : bv.constants) {
    if (startsWith(c.name, "scale[")) scales.push_back(double(c.value));
    else if (startsWith(c.name, "min[")) mins.push_back(double(c.value));
  }
  if (scales.size() < 2) return;
  const float fh = ImGui::GetFontSize();
  const std::size_t k = scales.size();
  double lo = 0, hi = 0;
  for (double v : scales) lo = std::min(lo, v), hi = std::max(hi, v);
  for (double v : mins) lo = std::min(lo, v), hi = std::max(hi, v);
  if (hi <= lo) hi = lo + 1;
  const double pad = (hi - lo) * 0.08;
  plot::AxisSpec xs{-0.5, double(k) - 0.5, plot::Scale::Linear, "sub-block"};
  xs.maxTicks = int(std::min<std::size_t>(k, 8));  // whole sub-block numbers
  plot::AxisSpec ys{lo < 0 ? lo - pad : 0.0, hi + pad, plot::Scale::Linear, "decoded"};
  plot::Axes ax("subscales", ImVec2(std::min(ImGui::GetContentRegionAvail().x, fh * 36), fh * 8), xs, ys);
  ImDrawList* dl = ax.drawList();
  const float bw = ax.sx(1) - ax.sx(0), w = mins.empty() ? bw * 0.7f : bw * 0.38f;
  const ImU32 cs = IM_COL32(110, 200, 255, 255), cm = IM_COL32(255, 150, 90, 255);
  for (std::size_t j = 0; j < k; ++j) {
    const float xc = ax.sx(double(j)), x0 = mins.empty() ? xc - w * 0.5f : xc - w;
    dl->AddRectFilled(ImVec2(x0, std::min(ax.sy(scales[j]), ax.sy(0))), ImVec2(x0 + w, std::max(ax.sy(scales[j]), ax.sy(0))), cs);
    if (j < mins.size())
      dl->AddRectFilled(ImVec2(xc, std::min(ax.sy(mins[j]), ax.sy(0))), ImVec2(xc + w, std::max(ax.sy(mins[j]), ax.sy(0))), cm);
  }
  if (ax.hovered()) {
    const std::size_t j = std::min(k - 1, std::size_t(std::max(0.0f, ax.mouseX() - ax.min().x) / bw));
    if (j < mins.size()) ImGui::SetTooltip("sub-block %zu: scale %.6g, min %.6g", j, scales[j], mins[j]);
    else ImGui::SetTooltip("sub-block %zu: scale %.6g", j, scales[j]);
  }
  ax.end();
  // The key under the chart (a legend inside would cover the bars).
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(cs), "%zu sub-block scales", k);
  if (!mins.empty()) {
    sameLineIfFits(ImGui::CalcTextSize("and mins (subtracted)").x);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(cm), "and mins (subtracted)");
  }
}

// MX: the shared exponent; NVFP4: its two scale levels (read from the block's own constants).
void scaleLevels(const BlockView& bv, const FormatDesc& d) {
  const std::string family = d.family;
  if (family == "mx") {
    for (const BlockView::Constant& c : bv.constants)
      if (c.rawBits == 8) {
        const int se = int(c.raw) - 127;
        char a[64], b[64];
        std::snprintf(a, sizeof a, "E8M0 code %u (0x%02X)", c.raw, c.raw);
        std::snprintf(b, sizeof b, "= 2^(%u - 127) = 2^%d = %.6g", c.raw, se, double(c.value));
        plot::flowText({"shared scale:", a, b}, ImGui::GetStyleColorVec4(ImGuiCol_Text));
        break;
      }
  } else if (family == "nvfp4") {
    const BlockView::Constant* tensor = nullptr;
    const BlockView::Constant* block = nullptr;
    for (const BlockView::Constant& c : bv.constants) {
      if (c.rawBits == 32 && !tensor) tensor = &c;
      else if (c.rawBits == 8 && !block) block = &c;
    }
    if (block && tensor) {
      const float step = tensor->value * block->value;  // the product dequantizing uses (tensor first)
      plot::flowText({"two scale levels:", "tensor scale (fp32) " + fmt(tensor->value) + " x",
                      "block scale (E4M3 0x" + hex2(block->raw) + ") " + fmt(block->value),
                      "= " + fmt(step) + " per E2M1 unit"},
                     ImGui::GetStyleColorVec4(ImGuiCol_Text));
    } else if (block) {
      ImGui::Text("one scale level: block scale (E4M3 0x%02X) %.6g, no tensor scale", block->raw, double(block->value));
    }
  }
}

// The block's values before (grey) and after (blue) quantization, a stem between them, sub-blocks
// shaded alternately, each sub-block's levels as faint lines (where few enough to see).
void valuesChart(const BlockInspect& b) {
  const std::size_t n = b.original.size();
  if (n == 0) return;
  const float fh = ImGui::GetFontSize();
  double lo = 0, hi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    lo = std::min({lo, double(b.original[i]), double(b.dequant[i])});
    hi = std::max({hi, double(b.original[i]), double(b.dequant[i])});
  }
  if (hi <= lo) hi = lo + 1;
  const double pad = (hi - lo) * 0.06;
  plot::AxisSpec xs{-0.5, double(n) - 0.5, plot::Scale::Linear, "value in the block"};
  plot::AxisSpec ys{lo - pad, hi + pad, plot::Scale::Linear, "weight"};
  plot::Axes ax("blockvalues", ImVec2(ImGui::GetContentRegionAvail().x, fh * 12), xs, ys);
  ImDrawList* dl = ax.drawList();
  const std::size_t sub = std::max<std::size_t>(1, b.subLength);
  for (std::size_t s0 = 0, k = 0; s0 < n; s0 += sub, ++k) {
    const float x0 = ax.sx(double(s0) - 0.5), x1 = ax.sx(double(std::min(n, s0 + sub)) - 0.5);
    if (k % 2) dl->AddRectFilled(ImVec2(x0, ax.min().y), ImVec2(x1, ax.max().y), IM_COL32(255, 255, 255, 18));
    if (k < b.levels.size() && b.levels[k].size() <= 64)
      for (float l : b.levels[k]) dl->AddLine(ImVec2(x0, ax.sy(l)), ImVec2(x1, ax.sy(l)), IM_COL32(255, 200, 60, 60));
  }
  const float r = std::clamp((ax.sx(1) - ax.sx(0)) * 0.3f, 1.5f, fh * 0.25f);
  for (std::size_t i = 0; i < n; ++i) {
    const float x = ax.sx(double(i));
    dl->AddLine(ImVec2(x, ax.sy(b.original[i])), ImVec2(x, ax.sy(b.dequant[i])), IM_COL32(255, 110, 90, 200), 1.5f);
    dl->AddCircleFilled(ImVec2(x, ax.sy(b.original[i])), r, IM_COL32(190, 190, 190, 255));
    dl->AddCircleFilled(ImVec2(x, ax.sy(b.dequant[i])), r, IM_COL32(110, 200, 255, 255));
  }
  if (ax.hovered()) {
    const std::size_t i = std::min(n - 1, std::size_t(std::max(0.0, std::round(ax.dataX(ax.mouseX())))));
    ImGui::SetTooltip("value %zu (tensor index %zu, sub-block %zu): %.6g -> %.6g, code %u", i, b.span.first + i, i / sub,
                      double(b.original[i]), double(b.dequant[i]), unsigned(b.codes[i]));
  }
  ax.end();
}

void codesList(const BlockInspect& b) {
  if (!ImGui::TreeNode("codes", b.subBlocks > 1 ? "the %zu codes, by sub-block" : "the %zu codes", b.codes.size())) return;
  const std::size_t sub = std::max<std::size_t>(1, b.subLength);
  ImGui::PushTextWrapPos(0.0f);
  for (std::size_t s0 = 0; s0 < b.codes.size(); s0 += sub) {
    std::string line = b.subBlocks > 1 ? "sub-block " + std::to_string(s0 / sub) + ":" : "codes:";
    for (std::size_t i = s0; i < std::min(b.codes.size(), s0 + sub); ++i) line += " " + std::to_string(b.codes[i]);
    ImGui::TextUnformatted(line.c_str());
  }
  ImGui::PopTextWrapPos();
  ImGui::TreePop();
}

void blockInspector(const WeightsView& v, const BlockInspect& b) {
  const FormatDesc& d = formatDesc(v.q.format);
  ImGui::PushTextWrapPos(0.0f);
  if (b.view) {
    ImGui::TextUnformatted(b.view->structure.c_str());
  } else {
    char line[160];
    std::snprintf(line, sizeof line, "%s, block %zu of %zu values (values %zu..%zu): %s %.6g%s", d.name, b.block, b.span.count,
                  b.span.first, b.span.first + b.span.count - 1, d.scaleName,
                  v.q.absmax.size() > b.block ? double(v.q.absmax[b.block]) : 0.0,
                  v.q.doubleQuant && v.q.absmaxDq.size() > b.block ? ", after double quantization" : "");
    ImGui::TextUnformatted(line);
    if (v.q.doubleQuant && v.q.absmaxDq.size() > b.block) ImGui::Text("(used: %.6g)", double(v.q.absmaxDq[b.block]));
  }
  ImGui::PopTextWrapPos();
  if (b.view) {
    scaleLevels(*b.view, d);
    constantsTable(*b.view);
    subBlockScales(*b.view);
  }
  valuesChart(b);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("block %zu: the values before (grey) and after (blue) quantization, the error between them (red)%s; "
                      "%zu distinct levels%s",
                      b.block, b.subBlocks > 1 ? ", sub-blocks shaded alternately, each with its own levels (yellow)" : ", the levels in yellow",
                      b.allLevels.size(), b.subBlocks > 1 ? " over the sub-blocks" : "");
  ImGui::PopTextWrapPos();
  codesList(b);
}

// ---- The whole tensor's histogram ---------------------------------------------------------

void tensorHistogram(const WeightsView& v, const BlockInspect& b) {
  const WeightsHistogram& h = v.histogram;
  if (h.counts.empty()) return;
  const float fh = ImGui::GetFontSize();
  const int bins = int(h.counts.size());
  double top = 1;
  for (double c : h.counts) top = std::max(top, c);
  plot::AxisSpec xs{h.lo, h.hi, plot::Scale::Linear, "weight value"};
  plot::AxisSpec ys{0.5, top * 2.0, plot::Scale::Log10, "count", "log"};
  const float w = ImGui::GetContentRegionAvail().x;
  {
    plot::Axes ax("tensorhist", ImVec2(w, fh * 11), xs, ys);
    ImDrawList* dl = ax.drawList();
    const double bw = (h.hi - h.lo) / double(bins);
    for (int i = 0; i < bins; ++i) {
      if (h.counts[std::size_t(i)] <= 0) continue;
      const float x0 = ax.sx(h.lo + bw * i), x1 = ax.sx(h.lo + bw * (i + 1));
      dl->AddRectFilled(ImVec2(x0, ax.sy(h.counts[std::size_t(i)])), ImVec2(std::max(x0 + 1, x1 - 1), ax.max().y),
                        IM_COL32(150, 150, 150, 200));
    }
    for (float l : b.allLevels) ax.vLine(double(l), IM_COL32(255, 200, 60, b.allLevels.size() > 64 ? 90 : 200), 1.0f);
    ax.legend({{"values", IM_COL32(150, 150, 150, 255)}, {"levels of block " + std::to_string(b.block), IM_COL32(255, 200, 60, 255)}});
    if (ax.hovered()) {
      const double x = ax.dataX(ax.mouseX());
      const int i = h.binOf(x);
      ImGui::SetTooltip("%.4g .. %.4g: %.0f values; %.0f levels over all blocks", h.lo + bw * i, h.lo + bw * (i + 1),
                        h.counts[std::size_t(i)], h.levelDensity[std::size_t(i)]);
    }
    ax.end();
    // The levels of every block after its scaling, as a strip under the same x axis (brighter: more
    // (block, level) pairs in that bin, on a log scale).
    ImGui::TextDisabled("levels of all %zu %s after their scaling:", h.levelSets,
                        h.levelSets > v.blockRmse.size() ? "sub-blocks" : "blocks");
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float stripH = fh * 1.4f;
    ImGui::Dummy(ImVec2(w, stripH));
    ImDrawList* sdl = ImGui::GetWindowDrawList();
    double dmax = 0;
    for (double d : h.levelDensity) dmax = std::max(dmax, d);
    sdl->AddRectFilled(ImVec2(ax.min().x, p.y), ImVec2(ax.max().x, p.y + stripH), IM_COL32(20, 20, 24, 255));
    for (int i = 0; i < bins && dmax > 0; ++i) {
      const double d = h.levelDensity[std::size_t(i)];
      if (d <= 0) continue;
      const float t = float(std::log1p(d) / std::log1p(dmax));
      sdl->AddRectFilled(ImVec2(ax.sx(h.lo + bw * i), p.y), ImVec2(std::max(ax.sx(h.lo + bw * i) + 1, ax.sx(h.lo + bw * (i + 1))), p.y + stripH),
                         heatColor(t));
    }
    sdl->AddRect(ImVec2(ax.min().x, p.y), ImVec2(ax.max().x, p.y + stripH), IM_COL32(90, 90, 100, 255));
  }
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextDisabled("all %llu values of the tensor on a log count axis with the selected block's %zu levels (yellow); "
                      "the strip: where the levels of every block fall (brighter: more of them, log scale)",
                      static_cast<unsigned long long>(h.total), b.allLevels.size());
  ImGui::PopTextWrapPos();
  const ImVec4 c = h.clipped ? ImVec4(1, 0.7f, 0.4f, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text);
  char a[64], bb[96];
  std::snprintf(a, sizeof a, "clipped (saturated): %llu values", static_cast<unsigned long long>(h.clipped));
  std::snprintf(bb, sizeof bb, "(%.3f%%; %llu below, %llu above", h.total ? 100.0 * double(h.clipped) / double(h.total) : 0.0,
                static_cast<unsigned long long>(h.clippedLow), static_cast<unsigned long long>(h.clippedHigh));
  plot::flowText({a, bb, "their block's outermost level)"}, c);
}

void aboutFormat(const FormatDesc& d) {
  const char* about = familyAbout(d.family);
  if (!*about) return;
  if (!ImGui::CollapsingHeader("About this format", ImGuiTreeNodeFlags_DefaultOpen)) return;
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(d.description);
  ImGui::TextDisabled("%s", about);
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

void drawFormatRows(const WeightsView& v, TensorFormat current) {
  // Scrolls sideways where the panel is narrower than the table (presenter mode), its rows all shown.
  const ImGuiStyle& st = ImGui::GetStyle();
  const float rowH = ImGui::GetTextLineHeight() + st.CellPadding.y * 2;
  const float height = rowH * float(v.table.size() + 1) + st.ScrollbarSize + st.CellPadding.y * 2;
  if (!ImGui::BeginTable("formats", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV |
                                           ImGuiTableFlags_ScrollX, ImVec2(0, height)))
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

void formatTable(const WeightsView& v, const WeightsDoc& w) {
  // The table is computed on a worker (updateWeightsPanel): meanwhile the last one stays, greyed out.
  const TensorFormat current = v.q.format;
  const bool stale = !weightsTableCurrent(v, w);
  if (stale) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextDisabled(v.table.empty() ? "every format at this blocksize: computing..."
                                        : "every format at this blocksize: computing... (the table below is of the previous settings)");
    ImGui::PopTextWrapPos();
    if (v.table.empty()) return;
  }
  ImGui::BeginDisabled(stale);
  drawFormatRows(v, current);
  ImGui::EndDisabled();
  if (!stale) ImGui::TextDisabled("every format at this blocksize (%.0f ms)", v.tableMs);
}
}  // namespace

template <>
void drawPanel<panelId("weights")>(const AppState& s, UiState& ui, Commands& cmd) {
  const WeightsDoc& w = s.doc.weights;
  const WeightsView& v = s.derived.weights;
  sourceControls(w, ui, cmd);
  formatControls(w, cmd);
  // The view is computed on a worker (updateWeightsPanel): meanwhile the last one stays.
  if (v.viewPending) {
    ImGui::PushTextWrapPos(0.0f);
    if (v.inputs) ImGui::TextDisabled("updating to %s... (what follows is of the previous settings)", tensorFormatName(w.format));
    else ImGui::TextDisabled("quantizing the tensor...");
    ImGui::PopTextWrapPos();
  }
  if (!v.error.empty()) {
    // Not every tensor suits every format (ggml's need a multiple of their block): the quantizer says why.
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", v.error.c_str());
    ImGui::PopTextWrapPos();
    aboutFormat(formatDesc(w.format));
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
  if (nb == 0) return;
  int block = std::clamp(w.block, 0, int(nb) - 1);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
  if (ImGui::SliderInt("block", &block, 0, int(nb) - 1)) cmd.edit("block", [block](Document& d) { d.weights.block = block; });
  const BlockInspect inspect = inspectWeightsBlock(v, std::size_t(block));
  const FormatDesc& desc = formatDesc(v.q.format);
  if (ImGui::CollapsingHeader("Block inspector", ImGuiTreeNodeFlags_DefaultOpen)) blockInspector(v, inspect);
  if (!desc.isRaw()) blockHistogram(v, std::size_t(block));
  if (ImGui::CollapsingHeader("Whole tensor", ImGuiTreeNodeFlags_DefaultOpen)) tensorHistogram(v, inspect);
  levelUse(v);
  const std::size_t picked = blockHeatmap(v, std::size_t(block));
  if (picked != std::size_t(block)) cmd.edit("block", [picked](Document& d) { d.weights.block = int(picked); });
  formatTable(v, w);
  aboutFormat(desc);
}

}  // namespace qviz::ui
