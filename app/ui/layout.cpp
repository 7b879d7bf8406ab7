// Tiling: the work area cut into rows and columns at whole pixels, each cut shared by the two
// rectangles beside it, so they neither overlap nor leave gaps.
#include "ui/layout.hpp"

#include <algorithm>
#include <cmath>

namespace qviz::ui {

bool overlaps(const Rect& a, const Rect& b) {
  return a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom();
}

namespace {
// The i-th of n cuts of [start, start + length) at whole pixels (cut(0) = start, cut(n) = end).
float cut(float start, float length, std::size_t i, std::size_t n) {
  return i == n ? start + length : std::floor(start + length * float(i) / float(n));
}

// `n` cells in a grid of `cols` columns filling `r`, row by row; a short last row is spread over
// the full width.
std::vector<Rect> grid(Rect r, std::size_t n, std::size_t cols) {
  std::vector<Rect> cells;
  if (n == 0) return cells;
  cols = std::clamp<std::size_t>(cols, 1, n);
  const std::size_t rows = (n + cols - 1) / cols;
  for (std::size_t row = 0; row < rows; ++row) {
    const std::size_t inRow = std::min(cols, n - row * cols);
    const float y0 = cut(r.y, r.h, row, rows), y1 = cut(r.y, r.h, row + 1, rows);
    for (std::size_t c = 0; c < inRow; ++c) {
      const float x0 = cut(r.x, r.w, c, inRow), x1 = cut(r.x, r.w, c + 1, inRow);
      cells.push_back({x0, y0, x1 - x0, y1 - y0});
    }
  }
  return cells;
}
}  // namespace

std::vector<Rect> tilePanels(const std::vector<PanelSlot>& open, Rect work) {
  std::vector<Rect> out(open.size());
  std::vector<std::size_t> mainIdx, wideIdx, sideIdx;
  for (std::size_t i = 0; i < open.size(); ++i)
    (open[i] == PanelSlot::Main ? mainIdx : open[i] == PanelSlot::Wide ? wideIdx : sideIdx).push_back(i);
  const bool mainArea = !mainIdx.empty() || !wideIdx.empty();
  Rect left = work, side = work;
  if (mainArea && !sideIdx.empty()) {
    const float sideW = std::floor(work.w * (sideIdx.size() > 3 ? 0.5f : 0.36f));
    left.w = work.w - sideW;
    side.x = left.right();
    side.w = sideW;
  }
  if (mainArea) {
    // The main panel on top (62% of the height over one wide panel, half over two or more), the
    // wide panels stacked under it (in two columns when there are more than three); more than one
    // main panel would share the top evenly.
    Rect top = left, bottom = left;
    if (!mainIdx.empty() && !wideIdx.empty()) {
      top.h = std::floor(left.h * (wideIdx.size() == 1 ? 0.62f : 0.5f));
      bottom.y = top.bottom();
      bottom.h = left.bottom() - bottom.y;
    }
    const auto topCells = grid(top, mainIdx.size(), 1), bottomCells = grid(bottom, wideIdx.size(), wideIdx.size() > 3 ? 2 : 1);
    for (std::size_t k = 0; k < mainIdx.size(); ++k) out[mainIdx[k]] = topCells[k];
    for (std::size_t k = 0; k < wideIdx.size(); ++k) out[wideIdx[k]] = bottomCells[k];
  }
  const std::size_t n = sideIdx.size();
  const std::size_t cols = mainArea ? (n > 3 ? 2 : 1) : (n > 6 ? 3 : n > 2 ? 2 : 1);
  const auto sideCells = grid(side, n, cols);
  for (std::size_t k = 0; k < n; ++k) out[sideIdx[k]] = sideCells[k];
  return out;
}

std::vector<PresenterTile> tilePresenter(const std::vector<PanelSlot>& open, Rect work, std::size_t featured,
                                         float titleH) {
  std::vector<PresenterTile> out(open.size());
  if (open.empty()) return out;
  std::size_t stage = open.size();
  for (std::size_t i = 0; i < open.size() && stage == open.size(); ++i)
    if (open[i] == PanelSlot::Main) stage = i;
  for (std::size_t i = 0; i < open.size() && stage == open.size(); ++i)
    if (open[i] == PanelSlot::Wide) stage = i;
  if (featured >= open.size() || featured == stage) {
    featured = open.size();
    for (std::size_t i = 0; i < open.size() && featured == open.size(); ++i)
      if (i != stage) featured = i;
  }
  Rect side = work;
  if (stage < open.size()) {
    if (featured == open.size()) {
      out[stage].rect = work;
      return out;
    }
    Rect left = work;
    left.w = std::floor(work.w * 0.62f);
    side.x = left.right();
    side.w = work.right() - side.x;
    out[stage].rect = left;
  }
  // The collapsed title bars at the bottom of the side column, the featured panel above them.
  const std::size_t rest = open.size() - 1 - (stage < open.size() ? 1 : 0);
  const float stripH = std::min(float(rest) * titleH, std::floor(side.h * 0.5f));
  const float barH = rest ? std::floor(stripH / float(rest)) : 0.0f;
  out[featured].rect = {side.x, side.y, side.w, side.h - barH * float(rest)};
  float y = out[featured].rect.bottom();
  for (std::size_t i = 0; i < open.size(); ++i)
    if (i != stage && i != featured) {
      out[i] = {{side.x, y, side.w, barH}, true};
      y += barH;
    }
  return out;
}

}  // namespace qviz::ui
