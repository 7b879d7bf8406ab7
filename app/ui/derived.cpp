// Recomputation of Derived caches, keyed by document revision.
#include "ui/derived.hpp"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "image/image_io.hpp"
#include "ui/commands.hpp"
#include "ui/widgets.hpp"

namespace qviz::ui {
using namespace qviz::core;

std::vector<std::uint8_t> errorMapRgba8(const Image& ref, const Image& q, float gain, bool signedMap) {
  std::vector<std::uint8_t> rgba(ref.pixelCount() * 4);
  const std::size_t ch = std::size_t(ref.channels), cc = std::size_t(ref.colorChannels());
  const float norm = gain / float(ref.vmax()) / float(cc);
  for (std::size_t p = 0; p < ref.pixelCount(); ++p) {
    std::int64_t sum = 0;
    for (std::size_t c = 0; c < cc; ++c) sum += std::int64_t(q.sample(p * ch + c)) - std::int64_t(ref.sample(p * ch + c));
    const float t = std::clamp(float(sum) * norm, -1.0f, 1.0f);
    std::uint8_t* d = rgba.data() + p * 4;
    if (signedMap) {
      const float m = std::fabs(t);
      d[0] = std::uint8_t(std::lround((t > 0 ? 1.0f : 0.15f) * m * 255));
      d[1] = std::uint8_t(std::lround(0.25f * m * 255));
      d[2] = std::uint8_t(std::lround((t < 0 ? 1.0f : 0.15f) * m * 255));
    } else {
      const ImU32 c = heatColor(std::fabs(t));
      d[0] = std::uint8_t(c & 0xFF);
      d[1] = std::uint8_t((c >> 8) & 0xFF);
      d[2] = std::uint8_t((c >> 16) & 0xFF);
    }
    d[3] = 255;
  }
  return rgba;
}

namespace {
void loadIfNeeded(AppState& s) {
  Derived& d = s.derived;
  if (s.doc.imagePath == d.loadedPath && !d.image.empty()) return;
  auto loaded = loadImage(s.doc.imagePath);
  if (!loaded) {
    postNotice(s.ui, loaded.error(), true);
    // Keep what the user had: the previous image stays open.
    if (!d.loadedPath.empty() && d.loadedPath != s.doc.imagePath) {
      s.doc.imagePath = d.loadedPath;
      ++s.revision;
    } else {
      d.loadedPath = s.doc.imagePath;
    }
    return;
  }
  d.image = std::move(*loaded);
  d.loadedPath = s.doc.imagePath;
  d.imageRevision = s.revision;
  d.view.original.upload(d.image);
  // Clamp settings that the new image does not support (a 16-bit image allows 16 bits).
  const int maxBits = d.image.bitDepth();
  if (s.doc.quant.bits > maxBits) {
    s.doc.quant.bits = maxBits;
    ++s.revision;
  }
  postNotice(s.ui, "opened " + d.loadedPath + " (" + std::to_string(d.image.width) + "x" +
                       std::to_string(d.image.height) + " " + channelLayoutName(d.image.channels) + ", " +
                       std::to_string(d.image.bitDepth()) + "-bit)",
             false);
}

void quantizeView(AppState& s) {
  Derived& d = s.derived;
  QuantizedView& v = d.view;
  if (v.revision == s.revision || d.image.empty()) return;
  UniformSettings q = s.doc.quant;
  if (auto st = validateUniform(d.image, q); !st) {
    postNotice(s.ui, st.error(), true);
    v.revision = s.revision;
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  v.reference = quantizerReference(d.image, q);
  if (auto st = quantizeUniformInto(v.reference, q, v.quantized); !st) {
    postNotice(s.ui, st.error(), true);
    v.revision = s.revision;
    return;
  }
  v.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  v.computedOn = "CPU";
  v.metrics = computeMetrics(d.image, v.reference, v.quantized, q);
  v.histBefore = histograms(v.reference);
  v.histAfter = histograms(v.quantized);
  if (q.gray) v.original.upload(v.reference);
  else v.original.upload(d.image);
  v.result.upload(v.quantized);
  const auto err = errorMapRgba8(v.reference, v.quantized, s.doc.errorGain, s.doc.errorSigned);
  v.error.uploadRgba8(err.data(), v.reference.width, v.reference.height);
  v.revision = s.revision;
}

void levelTiles(AppState& s) {
  Derived& d = s.derived;
  if (!s.ui.open.levels || d.levelsRevision == s.revision || d.image.empty()) return;
  d.levels.resize(s.doc.levelDepths.size());
  UniformSettings q = s.doc.quant;
  q.channelBits = {0, 0, 0};
  const Image reference = quantizerReference(d.image, q);
  for (std::size_t i = 0; i < d.levels.size(); ++i) {
    LevelTile& t = d.levels[i];
    q.bits = std::clamp(s.doc.levelDepths[i], 1, d.image.bitDepth());
    t.bits = q.bits;
    Image out;
    if (!quantizeUniformInto(reference, q, out)) continue;
    t.metrics = computeMetrics(d.image, reference, out, q);
    t.texture.upload(out);
  }
  d.levelsRevision = s.revision;
}
}  // namespace

void updateDerived(AppState& s) {
  loadIfNeeded(s);
  quantizeView(s);
  levelTiles(s);
}

}  // namespace qviz::ui
