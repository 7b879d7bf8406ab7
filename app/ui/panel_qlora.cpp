// QLoRA: one image is the pre-trained weight matrix, frozen in NF4; a second is the new data; a
// low-rank adapter B·A trains (on a worker thread) to move the frozen base towards it, next to the
// best possible rank-r delta (truncated SVD), with the loss curve, the singular value spectrum of
// what the adapter must learn, the parameter and memory counts, and the two ways to merge.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/panels.hpp"
#include "ui/plot.hpp"
#include "ui/qlora_session.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
const int kBlocksizes[] = {32, 64, 128, 256, 512, 1024, 2048, 4096};

void controls(const LoraDoc& l, const AppState& s, const QloraSession& q, Commands& cmd) {
  const float w = ImGui::GetFontSize() * 8;
  auto pathRow = [&](const char* label, const std::string& path, bool isBase) {
    ImGui::Text("%s %s", label, path.empty() ? (isBase ? "assets/images/rocket.jpg" : "assets/images/astronaut.png") : path.c_str());
    ImGui::SameLine();
    ImGui::PushID(label);
    if (ImGui::SmallButton("use the open image")) {
      const std::string p = s.doc.imagePath;
      cmd.edit("lora image", [p, isBase](Document& d) { (isBase ? d.lora.basePath : d.lora.targetPath) = p; });
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("default")) cmd.edit("lora image", [isBase](Document& d) { (isBase ? d.lora.basePath : d.lora.targetPath).clear(); });
    ImGui::PopID();
  };
  pathRow("pre-trained base:", l.basePath, true);
  pathRow("new data (target):", l.targetPath, false);
  int rank = l.rank;
  ImGui::SetNextItemWidth(w);
  if (ImGui::SliderInt("rank", &rank, 1, 64)) cmd.edit("lora rank", [rank](Document& d) { d.lora.rank = rank; });
  ImGui::SameLine();
  float alpha = l.alpha;
  ImGui::SetNextItemWidth(w);
  if (ImGui::SliderFloat("alpha", &alpha, 1.0f, 128.0f, "%.0f", ImGuiSliderFlags_Logarithmic))
    cmd.edit("lora alpha", [alpha](Document& d) { d.lora.alpha = alpha; });
  ImGui::SameLine();
  bool rs = l.rsLora;
  if (ImGui::Checkbox("rsLoRA (alpha/sqrt r)", &rs)) cmd.edit("rslora", [rs](Document& d) { d.lora.rsLora = rs; });
  int opt = l.sgd ? 1 : 0;
  ImGui::SetNextItemWidth(w);
  if (ImGui::Combo("optimizer", &opt, "Adam\0SGD\0"))
    cmd.edit("lora optimizer", [opt](Document& d) {
      d.lora.sgd = opt == 1;
      d.lora.lr = opt == 1 ? kLoraDefaultSgdLr : kLoraDefaultAdamLr;
    });
  ImGui::SameLine();
  float lr = l.lr;
  ImGui::SetNextItemWidth(w);
  if (ImGui::InputFloat("lr", &lr, 0, 0, "%.4g") && lr > 0) cmd.edit("lora lr", [lr](Document& d) { d.lora.lr = lr; });
  ImGui::SameLine();
  ImGui::SetNextItemWidth(w * 0.8f);
  if (ImGui::BeginCombo("NF4 blocksize", std::to_string(l.blocksize).c_str())) {
    for (int b : kBlocksizes)
      if (ImGui::Selectable(std::to_string(b).c_str(), b == l.blocksize)) cmd.edit("lora blocksize", [b](Document& d) { d.lora.blocksize = b; });
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  bool dq = l.doubleQuant;
  if (ImGui::Checkbox("double quant", &dq)) cmd.edit("lora dq", [dq](Document& d) { d.lora.doubleQuant = dq; });
  ImGui::SameLine();
  int seed = int(l.seed);
  ImGui::SetNextItemWidth(w * 0.8f);
  if (ImGui::InputInt("seed##lora", &seed)) cmd.edit("lora seed", [seed](Document& d) { d.lora.seed = std::uint32_t(std::max(0, seed)); });

  const bool ready = q.ready();
  ImGui::BeginDisabled(!ready);
  if (q.running()) {
    if (ImGui::Button("Pause")) cmd.lora(Commands::Lora::Pause);
  } else if (ImGui::Button("Start")) {
    cmd.lora(Commands::Lora::Start);
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(q.running());
  if (ImGui::Button("Step")) cmd.lora(Commands::Lora::Step);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Reset")) cmd.lora(Commands::Lora::Reset);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (q.busy()) ImGui::TextDisabled("quantizing the base to NF4 and computing the SVD...");
  else if (ready)
    ImGui::Text("step %d   loss %.6f   floor %.6f   gap %.2f%%   %.0f steps/s", q.steps(), q.loss(), q.floor(),
                loraGapPercent(q.loss(), q.floor()), q.running() ? q.stepsPerSecond() : 0.0);
  if (const std::string e = q.error(); !e.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", e.c_str());
}

void tiles(const QloraTiles& t, ImVec2 avail) {
  struct Tile {
    const DisplayTexture* tex;
    const char* title;
    double loss;
    const char* note;
  };
  const Tile list[8] = {
      {&t.base, "base (full precision)", t.baseLoss, ""},
      {&t.frozen, "frozen NF4 base", t.frozenLoss, "FROZEN"},
      {&t.quantError, "quantization error", t.quantMse, "MSE vs base"},
      {&t.delta, "delta s*B*A (signed)", 0, ""},
      {&t.adapted, "adapted = frozen + delta", t.adaptedLoss, ""},
      {&t.target, "target (new data)", 0, ""},
      {&t.svd, "best rank-r (SVD)", t.svdLoss, ""},
      {&t.merged, "merged into NF4, re-quantized", t.mergedLoss, ""},
  };
  // 2, 4 or 8 tiles a row: whichever makes them largest in the space there is (two text lines under each).
  const float spacing = ImGui::GetStyle().ItemSpacing.x, spacingY = ImGui::GetStyle().ItemSpacing.y;
  const float aspect = t.base.valid() ? float(t.base.height()) / float(t.base.width()) : 0.66f;
  // (Two lines under each tile, and a colour bar under the signed ones.)
  const float textH = ImGui::GetTextLineHeightWithSpacing() * 2 + ImGui::GetFontSize() * 2.1f + spacingY * 2;
  int cols = 4;
  float tileW = 0;
  for (int c : {2, 3, 4, 8}) {
    const int rows = (8 + c - 1) / c;
    const float w = std::min((avail.x - spacing * float(c - 1)) / float(c), ((avail.y - textH * float(rows)) / float(rows)) / aspect);
    if (w > tileW) tileW = w, cols = c;
  }
  tileW = std::max(tileW, ImGui::GetFontSize() * 4);
  for (int i = 0; i < 8; ++i) {
    if (i % cols) ImGui::SameLine();
    ImGui::BeginGroup();
    const float wrapAt = ImGui::GetCursorPosX() + tileW;
    const Tile& tile = list[i];
    const float h = tile.tex->valid() ? tileW * float(tile.tex->height()) / float(tile.tex->width()) : tileW * 0.66f;
    if (tile.tex->valid())
      ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(tile.tex->id())), ImVec2(tileW, h));
    else
      ImGui::Dummy(ImVec2(tileW, h));
    ImGui::PushTextWrapPos(wrapAt);  // titles wrap under their tile (the figures stay whole)
    ImGui::TextUnformatted(tile.title);
    ImGui::PopTextWrapPos();
    // The two signed tiles: grey 127.5 + x 127.5 / range per channel (core signedPlanesToImage).
    if (i == 2 || i == 3) {
      const double r = std::max(1e-6, double(i == 2 ? t.quantErrorRange : t.deltaRange));
      plot::drawColourBarH(i == 2 ? "quantization error scale" : "delta scale", tileW, plot::Range{-r, r}, plot::grayMap,
                           i == 2 ? "base - frozen" : "s B A");
    }
    if (i == 3) ImGui::TextDisabled("range +-%.3f", double(t.deltaRange));
    else if (i == 5) ImGui::TextDisabled("loss 0");
    else if (i == 7 && !t.mergeError.empty()) ImGui::TextDisabled("%s", t.mergeError.c_str());
    else ImGui::TextDisabled("%s %.6f", i == 2 ? "MSE" : "loss", tile.loss);
    if (*tile.note && i == 1) {
      ImGui::SameLine();
      ImGui::TextColored(ImVec4(0.5f, 0.8f, 1, 1), "FROZEN");
    }
    ImGui::EndGroup();
  }
}

// The loss at every step (log axis) against the SVD floor, on the shared plot axes.
void lossPlot(const std::vector<double>& history, double floor, ImVec2 size) {
  double lo = floor > 0 ? floor * 0.8 : 1e-6, hi = floor > 0 ? floor : 1e-5;
  for (double v : history)
    if (v > 0) lo = std::min(lo, v * 0.9), hi = std::max(hi, v);
  hi *= 1.2;
  const double steps = double(std::max<std::size_t>(history.size(), 2) - 1);
  plot::Axes ax("loss", size, plot::AxisSpec{0, steps, plot::Scale::Linear, "step"},
                plot::AxisSpec{lo, hi, plot::Scale::Log10, "loss, log scale", "MSE to the target"});
  if (history.empty() || floor <= 0) {
    ax.drawList()->AddText(ImVec2(ax.min().x + 8, ax.min().y + 8), IM_COL32(160, 160, 160, 255), "no training yet");
    return;
  }
  ax.hLine(floor, IM_COL32(255, 200, 60, 255), "SVD floor");
  ax.line({}, history, IM_COL32(110, 200, 255, 255), 2.0f);
  if (ax.hovered()) {
    const std::size_t i = std::min(history.size() - 1, std::size_t(std::max(0.0, std::round(ax.dataX(ax.mouseX())))));
    ax.vLine(double(i), IM_COL32(255, 255, 255, 110));
    ImGui::SetTooltip("step %zu: loss %.6f (floor %.6f, %.2f%% above it)", i, history[i], floor, loraGapPercent(history[i], floor));
  }
}

// The singular values of what the adapter must learn, per channel (log axis), the kept rank shaded.
void spectrumPlot(const std::array<std::vector<double>, 3>& sv, int rank, ImVec2 size) {
  const std::size_t shown = std::min<std::size_t>(sv[0].size(), 128);
  double hi = 0, lo = 1e300;
  for (const auto& c : sv)
    for (std::size_t i = 0; i < std::min(shown, c.size()); ++i) {
      hi = std::max(hi, c[i]);
      if (c[i] > 0) lo = std::min(lo, c[i]);
    }
  if (!(hi > 0) || lo > hi) lo = 1, hi = 10;
  char xl[96];
  std::snprintf(xl, sizeof xl, "index of the singular value (first %zu); rank %d kept", shown, rank);
  plot::Axes ax("spectrum", size, plot::AxisSpec{1, double(std::max<std::size_t>(shown, 2)), plot::Scale::Linear, xl},
                plot::AxisSpec{lo * 0.9, hi * 1.1, plot::Scale::Log10, "singular value of target - frozen NF4 base, log scale"});
  if (sv[0].empty()) return;
  const float xr = ax.sx(double(rank) + 0.5);
  ax.drawList()->AddRectFilled(ax.min(), ImVec2(xr, ax.max().y), IM_COL32(255, 200, 60, 30));
  ax.vLine(double(rank) + 0.5, IM_COL32(255, 200, 60, 255), 1.5f);
  const ImU32 colors[3] = {IM_COL32(235, 80, 80, 255), IM_COL32(90, 210, 110, 255), IM_COL32(90, 140, 245, 255)};
  std::vector<double> xs(shown);
  for (std::size_t i = 0; i < shown; ++i) xs[i] = double(i + 1);
  for (int c = 0; c < 3; ++c) {
    std::vector<double> ys(sv[std::size_t(c)].begin(), sv[std::size_t(c)].begin() + long(std::min(shown, sv[std::size_t(c)].size())));
    ax.line(xs, ys, colors[c], 1.5f);
  }
  ax.legend({{"red", colors[0]}, {"green", colors[1]}, {"blue", colors[2]}});
}

void countsTable(const LoraCounts& c, const QloraTiles& t, int rows, int cols, int rank) {
  if (!ImGui::BeginTable("counts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) return;
  ImGui::TableSetupColumn("what", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("figure", ImGuiTableColumnFlags_WidthStretch);  // wrapped in the rest, never clipped
  auto row = [](const char* k, const std::string& v) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(k);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextWrapped("%s", v.c_str());
  };
  char b[128];
  std::snprintf(b, sizeof b, "%d x %d per channel, 3 channels", rows, cols);
  row("matrix", b);
  std::snprintf(b, sizeof b, "%lld = r(m+n) = %d x (%d + %d) per channel, x3", static_cast<long long>(c.trainable), rank, rows, cols);
  row("trainable", b);
  std::snprintf(b, sizeof b, "%lld = m n per channel, x3", static_cast<long long>(c.frozen));
  row("frozen", b);
  // PEFT's print_trainable_parameters: trainable / all parameters (trainable + frozen).
  std::snprintf(b, sizeof b, "%.3f%% = trainable / (trainable + frozen)", c.trainablePercent());
  row("trainable share", b);
  row("base in fp32", formatBytes(c.baseFp32Bytes));
  row("base in NF4 + constants", formatBytes(c.baseQuantizedBytes));
  row("adapter (fp32, PEFT's default)", formatBytes(c.adapterBytes));
  row("its gradients", formatBytes(c.gradientBytes));
  row("Adam states", formatBytes(c.optimizerBytes));
  row("training total", formatBytes(c.trainingBytes()));
  std::snprintf(b, sizeof b, "loss %.6f, stored %s", t.mergedLoss, formatBytes(c.baseQuantizedBytes).c_str());
  row("merge into NF4 (re-quantized)", t.mergeError.empty() ? b : t.mergeError);
  std::snprintf(b, sizeof b, "loss %.6f, stored %s", t.merged16Loss, formatBytes(c.merged16BitBytes).c_str());
  row("merge into the 16-bit base (bf16)", b);
  ImGui::EndTable();
  ImGui::TextWrapped(
      "Two ways to merge. Into the 4-bit model (PEFT's merge on a 4-bit base): dequantize, add the delta, quantize "
      "again; it stays small, but the second rounding loses part of what was learned. Into the original 16-bit "
      "weights (the usual route to a merged model to share): base + delta in bf16, 2 bytes per weight against "
      "%.3f for this NF4 base; no "
      "second rounding, but it is not the model that was trained: the NF4 error of the base is gone and the "
      "adapter was fitted with it. Adapted loss now: %.6f.",
      c.frozen > 0 ? c.baseQuantizedBytes / double(c.frozen) : 0.0, t.adaptedLoss);
}
}  // namespace

template <>
void drawPanel<panelId("qlora")>(const AppState& s, UiState& ui, Commands& cmd) {
  ui.qloraHovered = ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows);
  if (!ui.loraDrop.empty()) {
    ImGui::TextColored(ImVec4(1, 0.85f, 0.4f, 1), "dropped %s:", ui.loraDrop.c_str());
    ImGui::SameLine();
    const std::string path = ui.loraDrop;
    if (ImGui::SmallButton("use as the pre-trained base")) {
      cmd.edit("lora base", [path](Document& d) { d.lora.basePath = path; });
      ui.loraDrop.clear();
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("use as the new data")) {
      cmd.edit("lora target", [path](Document& d) { d.lora.targetPath = path; });
      ui.loraDrop.clear();
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("cancel")) ui.loraDrop.clear();
  } else {
    ImGui::TextDisabled("drop an image here to use it as the base or the new data");
  }
  const QloraSession* q = s.derived.qlora.get();
  if (!q) {
    ImGui::TextDisabled("starting...");
    return;
  }
  controls(s.doc.lora, s, *q, cmd);
  const float avail = ImGui::GetContentRegionAvail().x;
  const float left = avail * 0.64f;
  ImGui::BeginChild("tiles", ImVec2(left, 0));
  tiles(s.derived.qloraTiles, ImGui::GetContentRegionAvail());
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("plots", ImVec2(0, 0));
  // The plots share the column's height with the counts below (which scroll): 40% and 30% of it,
  // at least 10 text lines each.
  const float pw = ImGui::GetContentRegionAvail().x, ph = ImGui::GetContentRegionAvail().y;
  const float fs = ImGui::GetFontSize();
  lossPlot(q->lossHistory(), q->floor(), ImVec2(pw, std::max(fs * 10, ph * 0.4f)));
  spectrumPlot(q->spectrum(), s.doc.lora.rank, ImVec2(pw, std::max(fs * 10, ph * 0.3f)));
  countsTable(q->counts(), s.derived.qloraTiles, q->rows(), q->cols(), s.doc.lora.rank);
  ImGui::EndChild();
}

}  // namespace qviz::ui
