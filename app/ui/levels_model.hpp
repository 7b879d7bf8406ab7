// The levels grid's data: the image quantized at each of the document's level depths, with metrics.
// No ImGui or GL here.
#pragma once
#include "metrics/metrics.hpp"
#include "ui/texture.hpp"

namespace qviz::ui {

struct LevelTile {
  int bits = 0;
  core::ImageMetrics metrics;
  DisplayTexture texture;
};

struct AppState;
// While the levels panel is open: re-makes the tiles when the image, the settings or the depths
// changed. Main thread.
void updateLevelTiles(AppState& s);

}  // namespace qviz::ui
