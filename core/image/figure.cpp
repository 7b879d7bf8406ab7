// Tiled figures and a tiny text rasteriser (stb_easy_font emits axis-aligned quads).
#include "image/figure.hpp"

#include <algorithm>
#include <cstring>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

namespace qviz::core {

Image concatHorizontal(const std::vector<Image>& tiles) {
  if (tiles.empty()) return {};
  int width = 0;
  for (const auto& t : tiles) width += t.width;
  const Image& first = tiles.front();
  Image out = Image::make(width, first.height, first.channels, first.type);
  const std::size_t ch = std::size_t(first.channels);
  int x0 = 0;
  for (const auto& t : tiles) {
    for (int y = 0; y < std::min(t.height, out.height); ++y)
      for (int x = 0; x < t.width; ++x)
        for (std::size_t c = 0; c < ch; ++c)
          out.setSample((std::size_t(y) * std::size_t(width) + std::size_t(x0 + x)) * ch + c,
                        t.sample((std::size_t(y) * std::size_t(t.width) + std::size_t(x)) * ch + c));
    x0 += t.width;
  }
  return out;
}

int textWidth(const std::string& text, int scale) {
  std::vector<char> buf(text.begin(), text.end());
  buf.push_back('\0');
  return stb_easy_font_width(buf.data()) * scale;
}

int textHeight(int scale) { return 12 * scale; }

void drawText(Image& img, int x, int y, const std::string& text, int scale, std::array<std::uint32_t, 3> rgb) {
  std::vector<char> buf(text.begin(), text.end());
  buf.push_back('\0');
  std::vector<unsigned char> verts(std::max<std::size_t>(1024, text.size() * 270 * 4));
  const int quads = stb_easy_font_print(0, 0, buf.data(), nullptr, verts.data(), int(verts.size()));
  const std::size_t ch = std::size_t(img.channels);
  for (int q = 0; q < quads; ++q) {
    float v[4][4];
    std::memcpy(v, verts.data() + std::size_t(q) * 64, 64);
    const int x0 = x + int(v[0][0]) * scale, y0 = y + int(v[0][1]) * scale;
    const int x1 = x + int(v[2][0]) * scale, y1 = y + int(v[2][1]) * scale;
    for (int py = std::max(0, y0); py < std::min(img.height, y1); ++py)
      for (int px = std::max(0, x0); px < std::min(img.width, x1); ++px) {
        const std::size_t i = (std::size_t(py) * std::size_t(img.width) + std::size_t(px)) * ch;
        const int cc = img.colorChannels();
        for (int c = 0; c < cc; ++c) img.setSample(i + std::size_t(c), cc == 1 ? rgb[1] : rgb[std::size_t(c)]);
        if (img.hasAlpha()) img.setSample(i + ch - 1, img.vmax());
      }
  }
}

Image labelledFigure(const std::vector<Image>& tiles, const std::vector<std::vector<std::string>>& labels) {
  if (tiles.empty()) return {};
  std::vector<Image> rgb;
  for (const auto& t : tiles) rgb.push_back(toRgb(t));
  const bool alpha = std::any_of(rgb.begin(), rgb.end(), [](const Image& t) { return t.hasAlpha(); });
  if (alpha)
    for (auto& t : rgb)
      if (!t.hasAlpha()) {
        Image a = Image::make(t.width, t.height, 4, t.type);
        for (std::size_t p = 0; p < t.pixelCount(); ++p) {
          for (std::size_t c = 0; c < 3; ++c) a.setSample(p * 4 + c, t.sample(p * 3 + c));
          a.setSample(p * 4 + 3, t.vmax());
        }
        t = std::move(a);
      }
  Image row = concatHorizontal(rgb);
  const int scale = std::max(1, std::min(3, row.height / 160));
  std::size_t lines = 0;
  for (const auto& l : labels) lines = std::max(lines, l.size());
  const int lineH = textHeight(scale) + 2 * scale;
  const int strip = int(lines) * lineH + 8 * scale;
  Image out = Image::make(row.width, row.height + strip, row.channels, row.type);
  const std::size_t ch = std::size_t(row.channels);
  for (std::size_t i = 0; i < row.sampleCount(); ++i) out.setSample(i, row.sample(i));
  const std::uint32_t bg = out.vmax() / 8, fg = out.vmax();
  for (std::size_t p = row.pixelCount(); p < out.pixelCount(); ++p) {
    for (std::size_t c = 0; c < 3; ++c) out.setSample(p * ch + c, bg);
    if (out.hasAlpha()) out.setSample(p * ch + 3, out.vmax());
  }
  int x0 = 0;
  for (std::size_t t = 0; t < rgb.size(); ++t) {
    if (t < labels.size())
      for (std::size_t l = 0; l < labels[t].size(); ++l) {
        const int w = textWidth(labels[t][l], scale);
        drawText(out, x0 + std::max(2 * scale, (rgb[t].width - w) / 2), row.height + 4 * scale + int(l) * lineH,
                 labels[t][l], scale, {fg, fg, fg});
      }
    x0 += rgb[t].width;
  }
  return out;
}

}  // namespace qviz::core
