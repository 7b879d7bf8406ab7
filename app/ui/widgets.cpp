// Image view (zoom around the cursor, pan, split divider) and ImDrawList plots.
#include "ui/widgets.hpp"

#include "ui/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace qviz::ui {
namespace {
ImVec2 add(ImVec2 a, ImVec2 b) { return ImVec2(a.x + b.x, a.y + b.y); }
ImTextureID texId(TexRef t) { return reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(t.id)); }
}  // namespace

ImageViewResult imageView(const char* id, TexRef tex, ImVec2 size, ImageViewState view, TexRef right, float* splitPos) {
  ImageViewResult result;
  ImGui::BeginChild(id, size, false, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (!tex.valid() || avail.x < 4 || avail.y < 4) {
    ImGui::TextDisabled("no image");
    ImGui::EndChild();
    return result;
  }
  ImGui::InvisibleButton("canvas", avail, ImGuiButtonFlags_MouseButtonLeft);
  const bool hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  const ImGuiIO& io = ImGui::GetIO();
  const float tw = float(tex.width), th = float(tex.height);
  const float fit = std::min(avail.x / tw, avail.y / th);
  float scale = view.zoom > 0 ? view.zoom : fit;
  auto originFor = [&](float s) {
    return ImVec2(p0.x + (avail.x - tw * s) * 0.5f + view.panX, p0.y + (avail.y - th * s) * 0.5f + view.panY);
  };
  ImVec2 origin = originFor(scale);
  if (hovered && io.MouseWheel != 0.0f) {
    const float next = std::clamp(scale * std::pow(1.25f, io.MouseWheel), 0.05f, 64.0f);
    const ImVec2 imagePt((io.MousePos.x - origin.x) / scale, (io.MousePos.y - origin.y) / scale);
    const ImVec2 base = originFor(next);
    view.panX += io.MousePos.x - imagePt.x * next - (base.x - view.panX);
    view.panY += io.MousePos.y - imagePt.y * next - (base.y - view.panY);
    view.zoom = next;
    scale = next;
    origin = originFor(scale);
  }
  const float splitX = splitPos ? p0.x + avail.x * *splitPos : 0;
  const bool nearDivider = right.valid() && splitPos && hovered && std::fabs(io.MousePos.x - splitX) < 6.0f;
  if (active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
    if (right.valid() && splitPos && (nearDivider || ImGui::GetIO().KeyShift)) {
      *splitPos = std::clamp((io.MousePos.x - p0.x) / avail.x, 0.0f, 1.0f);
    } else {
      view.panX += io.MouseDelta.x;
      view.panY += io.MouseDelta.y;
    }
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) view.zoom = view.panX = view.panY = 0;
  if (nearDivider) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p1 = add(p0, avail);
  dl->PushClipRect(p0, p1, true);
  dl->AddRectFilled(p0, p1, IM_COL32(24, 24, 28, 255));
  const ImVec2 end(origin.x + tw * scale, origin.y + th * scale);
  if (right.valid() && splitPos) {
    dl->PushClipRect(p0, ImVec2(splitX, p1.y), true);
    dl->AddImage(texId(tex), origin, end);
    dl->PopClipRect();
    dl->PushClipRect(ImVec2(splitX, p0.y), p1, true);
    dl->AddImage(texId(right), origin, end);
    dl->PopClipRect();
    dl->AddLine(ImVec2(splitX, p0.y), ImVec2(splitX, p1.y), IM_COL32(255, 255, 255, 220), 2.0f);
    dl->AddCircleFilled(ImVec2(splitX, (p0.y + p1.y) * 0.5f), 7.0f, IM_COL32(255, 255, 255, 230));
  } else {
    dl->AddImage(texId(tex), origin, end);
  }
  dl->PopClipRect();
  result.origin = origin;
  result.scale = scale;
  if (hovered) {
    const float ix = (io.MousePos.x - origin.x) / scale, iy = (io.MousePos.y - origin.y) / scale;
    if (ix >= 0 && iy >= 0 && ix < tw && iy < th) result.hoveredPixel = ImVec2(std::floor(ix), std::floor(iy));
  }
  ImGui::EndChild();
  return result;
}

void histogramPlot(const char* id, const std::vector<PlotSeries>& series, ImVec2 size, const std::vector<double>& marks,
                   const char* xLabel, double xLo, double xHi, const char* xUnit) {
  std::size_t n = 0;
  double vmax = 0;
  for (const auto& s : series) {
    n = std::max(n, s.values->size());
    for (double v : *s.values) vmax = std::max(vmax, v);
  }
  const bool empty = n == 0 || vmax <= 0 || !(xHi > xLo);
  plot::AxisSpec xs{xLo, empty ? xLo + 1 : xHi, plot::Scale::Linear, xLabel, xUnit};
  // The y axis ends at a 1-2-5 value at or above the largest count, so its top tick is labelled.
  double yTop = std::max(1.0, vmax);
  if (!empty) {
    const plot::Ticks t = plot::niceTicks(0, vmax, 5);
    if (t.step > 0) yTop = std::ceil(vmax / t.step - 1e-9) * t.step;
  }
  plot::AxisSpec ys{0, yTop, plot::Scale::Sqrt, "count, square-root scale"};
  xs.grid = false;
  plot::Axes ax(id, size, xs, ys);
  ImDrawList* dl = ax.drawList();
  if (empty) {
    dl->AddText(ImVec2(ax.min().x + 8, ax.min().y + 8), IM_COL32(160, 160, 160, 255), "no data");
    return;
  }
  const double w = (xHi - xLo) / double(n);
  auto binX = [&](double bin) { return ax.sx(xLo + bin * w); };
  for (double m : marks) {
    const float x = binX(m + 0.5);
    dl->AddLine(ImVec2(x, ax.min().y), ImVec2(x, ax.max().y), IM_COL32(255, 210, 80, 70));
    const float t = std::min(ImGui::GetFontSize() * 0.3f, std::max(2.0f, (binX(1) - binX(0)) * 2.0f));
    dl->AddTriangleFilled(ImVec2(x - t, ax.max().y), ImVec2(x + t, ax.max().y), ImVec2(x, ax.max().y - t * 1.6f),
                          IM_COL32(255, 210, 80, 255));
  }
  const float bw = binX(1) - binX(0);
  for (const auto& s : series) {
    for (std::size_t i = 0; i < s.values->size(); ++i) {
      const double v = (*s.values)[i];
      if (v <= 0) continue;
      const float x0 = binX(double(i)), x1 = std::max(x0 + 1.0f, binX(double(i + 1)));
      if (s.filled) {
        dl->AddRectFilled(ImVec2(x0, ax.sy(v)), ImVec2(x1, ax.max().y), s.color);
      } else {
        // Spikes: after quantization only a few bins are non-zero; keep each visible.
        const float xc = (x0 + x1) * 0.5f;
        dl->AddLine(ImVec2(xc, ax.sy(v)), ImVec2(xc, ax.max().y), s.color, std::max(2.0f, bw));
      }
    }
  }
  if (ax.hovered()) {
    const std::size_t i = std::size_t(std::clamp((ax.mouseX() - ax.min().x) / std::max(1e-6f, bw), 0.0f, float(n - 1)));
    const float xc = binX(double(i) + 0.5);
    dl->AddLine(ImVec2(xc, ax.min().y), ImVec2(xc, ax.max().y), IM_COL32(255, 255, 255, 120));
    ImGui::BeginTooltip();
    const double b0 = xLo + double(i) * w, b1 = b0 + w;
    if (w == 1 && b0 + 0.5 == std::floor(b0 + 0.5)) ImGui::Text("%s %.0f", xLabel, b0 + 0.5);
    else ImGui::Text("%s %.4g to %.4g%s%s", xLabel, b0, b1, *xUnit ? " " : "", xUnit);
    for (const auto& s : series)
      if (i < s.values->size()) {
        ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(s.color), ImGuiColorEditFlags_NoTooltip,
                           ImVec2(ImGui::GetFontSize() * 0.7f, ImGui::GetFontSize() * 0.7f));
        ImGui::SameLine();
        ImGui::Text("%.0f", (*s.values)[i]);
      }
    ImGui::EndTooltip();
  }
}

std::string formatBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (std::fabs(bytes) >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

ImU32 heatColor(float t) {
  // Piecewise-linear approximation of a black-purple-orange-yellow heat ramp.
  t = std::clamp(t, 0.0f, 1.0f);
  static const float stops[5][3] = {{0, 0, 0}, {0.33f, 0.07f, 0.43f}, {0.74f, 0.22f, 0.33f}, {0.98f, 0.55f, 0.04f}, {0.99f, 1.0f, 0.64f}};
  const float f = t * 4.0f;
  const int i = std::min(3, int(f));
  const float u = f - float(i);
  float c[3];
  for (int k = 0; k < 3; ++k) c[k] = stops[i][k] + (stops[i + 1][k] - stops[i][k]) * u;
  return IM_COL32(int(c[0] * 255), int(c[1] * 255), int(c[2] * 255), 255);
}

}  // namespace qviz::ui
