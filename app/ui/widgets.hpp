// Reusable ImGui widgets drawn with ImDrawList: a zoomable, pannable image view with crisp pixels
// and an optional split divider, and small plotting helpers (ImPlot is not available).
#pragma once
#include <imgui.h>

#include <optional>
#include <string>
#include <vector>

#include "ui/texture.hpp"

namespace qviz::ui {

struct ImageViewState {
  float& zoom;  // 0 = fit
  float& panX;
  float& panY;
};

struct ImageViewResult {
  std::optional<ImVec2> hoveredPixel;  // image coordinates under the mouse
  ImVec2 origin{0, 0};                 // screen position of image pixel (0,0)
  float scale = 1;                     // screen pixels per image pixel
};

// Draws `tex` (and, when `right` is given, `right` beyond the split position) in a child region of
// `size`. Wheel zooms around the cursor, drag pans, double-click fits.
ImageViewResult imageView(const char* id, TexRef tex, ImVec2 size, ImageViewState view, TexRef right = {},
                          float* splitPos = nullptr);

struct PlotSeries {
  const std::vector<double>* values;
  ImU32 color;
  bool filled = false;
};

// A bar/line plot of one or more series sharing an x range [0, n), with axes and hover readout.
// `marks` are x positions drawn as ticks (e.g. quantization levels).
// xLo / xHi label the ends of the x axis (default: the first and last bin index).
void histogramPlot(const char* id, const std::vector<PlotSeries>& series, ImVec2 size, const std::vector<double>& marks,
                   const char* xLabel, const char* xLo = nullptr, const char* xHi = nullptr);

std::string formatBytes(double bytes);
ImU32 heatColor(float t);  // 0..1 -> perceptual heat colour

}  // namespace qviz::ui
