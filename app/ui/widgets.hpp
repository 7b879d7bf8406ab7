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

// A histogram of one or more series of n bins on plot::Axes: bin i covers
// [xLo + i w, xLo + (i + 1) w) with w = (xHi - xLo) / n, so the x axis is in the data's own units
// (xLabel, xUnit); the y axis counts on a square-root scale from 0 (a few huge bins must not flatten
// the rest), with 1-2-5 ticks. `marks` are bin positions (fractional allowed) drawn as yellow ticks,
// e.g. the quantization levels. The plot takes `size`; hover reads every series at a bin.
void histogramPlot(const char* id, const std::vector<PlotSeries>& series, ImVec2 size, const std::vector<double>& marks,
                   const char* xLabel, double xLo, double xHi, const char* xUnit = "");

std::string formatBytes(double bytes);
ImU32 heatColor(float t);  // 0..1 -> perceptual heat colour

}  // namespace qviz::ui
