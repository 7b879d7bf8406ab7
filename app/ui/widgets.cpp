// Image view (zoom around the cursor, pan, split divider) and ImDrawList plots.
#include "ui/widgets.hpp"

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
                   const char* xLabel, const char* xLo, const char* xHi) {
  ImGui::PushID(id);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("plot", size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float fontH = ImGui::GetFontSize();
  const ImVec2 a(p0.x + fontH * 3.0f, p0.y + 4), b(p0.x + size.x - 4, p0.y + size.y - fontH * 1.6f);
  dl->AddRectFilled(a, b, IM_COL32(20, 20, 24, 255));
  std::size_t n = 0;
  double vmax = 0;
  for (const auto& s : series) {
    n = std::max(n, s.values->size());
    for (double v : *s.values) vmax = std::max(vmax, v);
  }
  if (n == 0 || vmax <= 0) {
    dl->AddText(ImVec2(a.x + 8, a.y + 8), IM_COL32(160, 160, 160, 255), "no data");
    ImGui::PopID();
    return;
  }
  // Square-root scale: a few huge bins (a flat background) must not flatten everything else.
  auto yOf = [&](double v) { return b.y - float(std::sqrt(v / vmax)) * (b.y - a.y); };
  const float bw = (b.x - a.x) / float(n);
  for (double m : marks) {
    const float x = a.x + (float(m) + 0.5f) * bw;
    dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), IM_COL32(255, 210, 80, 70));
    dl->AddTriangleFilled(ImVec2(x - 3, b.y + 6), ImVec2(x + 3, b.y + 6), ImVec2(x, b.y), IM_COL32(255, 210, 80, 255));
  }
  for (const auto& s : series) {
    for (std::size_t i = 0; i < s.values->size(); ++i) {
      const double v = (*s.values)[i];
      if (v <= 0) continue;
      const float x0 = a.x + float(i) * bw, x1 = std::max(x0 + 1.0f, x0 + bw);
      if (s.filled) {
        dl->AddRectFilled(ImVec2(x0, yOf(v)), ImVec2(x1, b.y), s.color);
      } else {
        // Spikes: after quantization only a few bins are non-zero; keep each visible.
        const float xc = (x0 + x1) * 0.5f;
        dl->AddLine(ImVec2(xc, yOf(v)), ImVec2(xc, b.y), s.color, std::max(2.0f, bw));
      }
    }
  }
  dl->AddRect(a, b, IM_COL32(120, 120, 130, 255));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", vmax);
  dl->AddText(ImVec2(p0.x, a.y), IM_COL32(170, 170, 170, 255), buf);
  dl->AddText(ImVec2(p0.x, b.y - fontH), IM_COL32(170, 170, 170, 255), "0");
  dl->AddText(ImVec2(a.x, b.y + 6), IM_COL32(170, 170, 170, 255), xLo ? xLo : "0");
  std::snprintf(buf, sizeof buf, "%s", xHi ? xHi : std::to_string(n - 1).c_str());
  dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(buf).x, b.y + 6), IM_COL32(170, 170, 170, 255), buf);
  dl->AddText(ImVec2((a.x + b.x) * 0.5f - ImGui::CalcTextSize(xLabel).x * 0.5f, b.y + 6), IM_COL32(170, 170, 170, 255),
              xLabel);
  if (hovered) {
    const float mx = ImGui::GetIO().MousePos.x;
    const std::size_t i = std::size_t(std::clamp((mx - a.x) / bw, 0.0f, float(n - 1)));
    dl->AddLine(ImVec2(a.x + (float(i) + 0.5f) * bw, a.y), ImVec2(a.x + (float(i) + 0.5f) * bw, b.y),
                IM_COL32(255, 255, 255, 120));
    ImGui::BeginTooltip();
    if (xLo) ImGui::Text("bin %zu", i);
    else ImGui::Text("value %zu", i);
    for (const auto& s : series)
      if (i < s.values->size()) {
        ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(s.color), ImGuiColorEditFlags_NoTooltip, ImVec2(10, 10));
        ImGui::SameLine();
        ImGui::Text("%.0f", (*s.values)[i]);
      }
    ImGui::EndTooltip();
  }
  ImGui::PopID();
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
