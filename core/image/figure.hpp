// Figures made of images: tiles side by side and text labels rasterised with stb_easy_font, so the
// CLI and the explorer export the same labelled PNGs without a window.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.hpp"

namespace qviz::core {

// Tiles of equal height, channels and sample type placed left to right with no gap.
Image concatHorizontal(const std::vector<Image>& tiles);

// Draws text at (x, y) (top-left), each font pixel `scale` image pixels, in `rgb` (values in the
// image's sample range); colour channels only, alpha set to opaque.
void drawText(Image& img, int x, int y, const std::string& text, int scale, std::array<std::uint32_t, 3> rgb);
int textWidth(const std::string& text, int scale);
int textHeight(int scale);

// Tiles side by side with a label strip under each (RGB(A) output; gray tiles are expanded).
Image labelledFigure(const std::vector<Image>& tiles, const std::vector<std::vector<std::string>>& labels);

}  // namespace qviz::core
