// Levels grid: the original app's 8/4/2/1-bit figure done right: the original and one tile per
// depth (editable), each labelled with its depth, levels used and PSNR/SSIM; exportable as one PNG.
#include <imgui.h>

#include <cstdio>

#include "image/figure.hpp"
#include "image/image_io.hpp"
#include "ui/frame.hpp"
#include "ui/settings.hpp"
#include "ui/panels.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {
using namespace qviz::core;

namespace {
std::vector<std::string> tileLabel(const LevelTile& t) {
  char a[64], b[64];
  std::snprintf(a, sizeof a, "%d bit%s, %u levels", t.bits, t.bits == 1 ? "" : "s", t.metrics.levelsUsed);
  if (t.metrics.psnrDb) std::snprintf(b, sizeof b, "PSNR %.2f dB  SSIM %.3f", *t.metrics.psnrDb, t.metrics.ssim.value_or(1));
  else std::snprintf(b, sizeof b, "identical");
  return {a, b};
}
}  // namespace

// Exports the grid at native resolution: original + tiles, labels underneath (same as the CLI).
void exportLevelsFigure(AppState& s, const std::string& path) {
  const Derived& d = s.derived;
  UniformSettings q = s.doc.quant;
  q.channelBits = {0, 0, 0};
  const Image reference = quantizerReference(d.image, q);
  std::vector<Image> tiles = {reference};
  std::vector<std::vector<std::string>> labels = {{"original"}};
  for (const LevelTile& t : d.levels) {
    q.bits = t.bits;
    Image out;
    if (!quantizeUniformInto(reference, q, out)) continue;
    tiles.push_back(std::move(out));
    labels.push_back(tileLabel(t));
  }
  const auto st = savePng(labelledFigure(tiles, labels), path, explorerInputs(s));
  postNotice(s.ui, st ? "exported the levels grid to " + path : st.error(), !st);
}

template <>
void drawPanel<panelId("levels")>(const AppState& s, UiState& ui, Commands& cmd) {
  const Derived& d = s.derived;
  if (d.image.empty()) {
    ImGui::TextDisabled("no image");
    return;
  }
  ImGui::TextUnformatted("depths:");
  for (std::size_t i = 0; i < s.doc.levelDepths.size(); ++i) {
    ImGui::SameLine();
    ImGui::PushID(int(i));
    int b = s.doc.levelDepths[i];
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    if (ImGui::InputInt("##depth", &b, 1, 1)) {
      b = std::clamp(b, 1, d.image.bitDepth());
      cmd.edit("levels depth", [i, b](Document& doc) { doc.levelDepths[i] = b; });
    }
    ImGui::PopID();
  }
  ImGui::SameLine();
  if (ImGui::Button("Export PNG...")) {
    ui.exportWhat = "levels";
    ui.exportPath = "qviz-levels.png";
  }
  // The original and the tiles in 1, 2 or 3 rows, whichever shows them largest (two label lines under each).
  const std::size_t count = d.levels.size() + 1;
  const float spacing = ImGui::GetStyle().ItemSpacing.x, spacingY = ImGui::GetStyle().ItemSpacing.y;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float aspect = float(d.image.height) / float(d.image.width);
  const float labelH = ImGui::GetTextLineHeightWithSpacing() * 2 + spacingY;
  std::size_t perRow = count;
  float drawW = 0;
  for (std::size_t rows = 1; rows <= 3; ++rows) {
    const std::size_t cols = (count + rows - 1) / rows;
    const float w = std::min((avail.x - spacing * float(cols - 1)) / float(cols),
                             ((avail.y - labelH * float(rows)) / float(rows)) / aspect);
    if (w > drawW) drawW = w, perRow = cols;
  }
  drawW = std::max(drawW, ImGui::GetFontSize() * 3);
  const float tileH = drawW * aspect;
  auto tile = [&](const DisplayTexture& tex, const std::vector<std::string>& label) {
    ImGui::BeginGroup();
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(tex.id())), ImVec2(drawW, tileH));
    for (const auto& l : label) ImGui::TextUnformatted(l.c_str());
    ImGui::EndGroup();
  };
  tile(d.view.original, {"original", s.doc.quant.gray ? "(luma)" : ""});
  for (std::size_t i = 0; i < d.levels.size(); ++i) {
    if ((i + 1) % perRow) ImGui::SameLine();
    tile(d.levels[i].texture, tileLabel(d.levels[i]));
  }
}

}  // namespace qviz::ui
