// Image helpers: allocation, crops, integer luma and simple resampling.
#include "image/image.hpp"

#include <algorithm>
#include <cmath>

namespace qviz::core {

Image Image::make(int width, int height, int channels, SampleType type) {
  Image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  img.type = type;
  const std::size_t n = img.sampleCount();
  switch (type) {
    case SampleType::U8: img.u8.assign(n, 0); break;
    case SampleType::U16: img.u16.assign(n, 0); break;
    case SampleType::F32: img.f32.assign(n, 0.0f); break;
  }
  return img;
}

const char* channelLayoutName(int channels) {
  switch (channels) {
    case 1: return "gray";
    case 2: return "gray+alpha";
    case 3: return "RGB";
    case 4: return "RGBA";
    default: return "unknown";
  }
}

Image crop(const Image& src, int x, int y, int w, int h) {
  x = std::clamp(x, 0, src.width);
  y = std::clamp(y, 0, src.height);
  w = std::clamp(w, 0, src.width - x);
  h = std::clamp(h, 0, src.height - y);
  Image out = Image::make(w, h, src.channels, src.type);
  const std::size_t row = std::size_t(w) * std::size_t(src.channels);
  for (int r = 0; r < h; ++r) {
    const std::size_t s = (std::size_t(y + r) * std::size_t(src.width) + std::size_t(x)) * std::size_t(src.channels);
    const std::size_t d = std::size_t(r) * row;
    switch (src.type) {
      case SampleType::U8: std::copy_n(src.u8.begin() + long(s), row, out.u8.begin() + long(d)); break;
      case SampleType::U16: std::copy_n(src.u16.begin() + long(s), row, out.u16.begin() + long(d)); break;
      case SampleType::F32: std::copy_n(src.f32.begin() + long(s), row, out.f32.begin() + long(d)); break;
    }
  }
  return out;
}

Image toGray(const Image& src) {
  if (src.channels <= 2 || src.type == SampleType::F32) return src;
  const bool alpha = src.hasAlpha();
  Image out = Image::make(src.width, src.height, alpha ? 2 : 1, src.type);
  const std::size_t n = src.pixelCount();
  const std::size_t sc = std::size_t(src.channels), dc = std::size_t(out.channels);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = src.sample(i * sc), g = src.sample(i * sc + 1), b = src.sample(i * sc + 2);
    out.setSample(i * dc, static_cast<std::uint32_t>((77 * r + 150 * g + 29 * b + 128) >> 8));
    if (alpha) out.setSample(i * dc + 1, src.sample(i * sc + 3));
  }
  return out;
}

Image toRgb(const Image& src) {
  if (src.channels >= 3) return src;
  const bool alpha = src.hasAlpha();
  Image out = Image::make(src.width, src.height, alpha ? 4 : 3, src.type);
  const std::size_t n = src.pixelCount();
  const std::size_t sc = std::size_t(src.channels), dc = std::size_t(out.channels);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < 3; ++c) {
      if (src.type == SampleType::F32) out.f32[i * dc + c] = src.f32[i * sc];
      else out.setSample(i * dc + c, src.sample(i * sc));
    }
    if (alpha) {
      if (src.type == SampleType::F32) out.f32[i * dc + 3] = src.f32[i * sc + 1];
      else out.setSample(i * dc + 3, src.sample(i * sc + 1));
    }
  }
  return out;
}

Image resizeBilinear(const Image& src, int width, int height) {
  Image out = Image::make(width, height, src.channels, src.type);
  if (src.empty() || width <= 0 || height <= 0) return out;
  const double sx = double(src.width) / width, sy = double(src.height) / height;
  const std::size_t ch = std::size_t(src.channels);
  auto get = [&](int x, int y, std::size_t c) -> double {
    const std::size_t i = (std::size_t(y) * std::size_t(src.width) + std::size_t(x)) * ch + c;
    return src.type == SampleType::F32 ? double(src.f32[i]) : double(src.sample(i));
  };
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(src.height - 1));
    const int y0 = int(fy), y1 = std::min(y0 + 1, src.height - 1);
    const double wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(src.width - 1));
      const int x0 = int(fx), x1 = std::min(x0 + 1, src.width - 1);
      const double wx = fx - x0;
      for (std::size_t c = 0; c < ch; ++c) {
        const double v = (get(x0, y0, c) * (1 - wx) + get(x1, y0, c) * wx) * (1 - wy) +
                         (get(x0, y1, c) * (1 - wx) + get(x1, y1, c) * wx) * wy;
        const std::size_t o = (std::size_t(y) * std::size_t(width) + std::size_t(x)) * ch + c;
        if (src.type == SampleType::F32) out.f32[o] = float(v);
        else out.setSample(o, static_cast<std::uint32_t>(std::clamp(std::lround(v), 0l, long(src.vmax()))));
      }
    }
  }
  return out;
}

Image downscaleToFit(const Image& src, int maxSide) {
  if (src.empty() || maxSide < 1 || (src.width <= maxSide && src.height <= maxSide)) return src;
  const int k = (std::max(src.width, src.height) + maxSide - 1) / maxSide;
  const int w = (src.width + k - 1) / k, h = (src.height + k - 1) / k;
  const std::size_t ch = std::size_t(src.channels), rowLen = std::size_t(w) * ch;
  Image out = Image::make(w, h, src.channels, src.type);
  const bool isFloat = src.type == SampleType::F32;
  std::vector<std::uint64_t> isum(rowLen);
  std::vector<double> fsum(isFloat ? rowLen : 0);
  for (int oy = 0; oy < h; ++oy) {
    const int y0 = oy * k, y1 = std::min(src.height, y0 + k);
    std::fill(isum.begin(), isum.end(), 0);
    std::fill(fsum.begin(), fsum.end(), 0.0);
    for (int y = y0; y < y1; ++y) {
      const std::size_t row = std::size_t(y) * std::size_t(src.width) * ch;
      for (int x = 0; x < src.width; ++x) {
        const std::size_t o = std::size_t(x / k) * ch, i = row + std::size_t(x) * ch;
        for (std::size_t c = 0; c < ch; ++c) {
          if (isFloat) fsum[o + c] += double(src.f32[i + c]);
          else isum[o + c] += src.sample(i + c);
        }
      }
    }
    for (int ox = 0; ox < w; ++ox) {
      const std::uint64_t n = std::uint64_t(y1 - y0) * std::uint64_t(std::min(src.width, (ox + 1) * k) - ox * k);
      for (std::size_t c = 0; c < ch; ++c) {
        const std::size_t s = std::size_t(ox) * ch + c, o = std::size_t(oy) * rowLen + s;
        if (isFloat) out.f32[o] = float(fsum[s] / double(n));
        else out.setSample(o, std::uint32_t((isum[s] + n / 2) / n));
      }
    }
  }
  return out;
}

std::string fitToTextureLimit(Image& img, int maxTextureSize, const std::string& name) {
  if (maxTextureSize < 1 || (img.width <= maxTextureSize && img.height <= maxTextureSize)) return "";
  const int w = img.width, h = img.height;
  img = downscaleToFit(img, maxTextureSize);
  return name + " is " + std::to_string(w) + "x" + std::to_string(h) + ", larger than this GPU's texture limit of " +
         std::to_string(maxTextureSize) + ": showing, quantizing and measuring a " + std::to_string(img.width) + "x" +
         std::to_string(img.height) + " preview (box filter); qviz render works on the full image";
}

}  // namespace qviz::core
