// AppState: the Document (what a user would save), Derived caches (each remembering the document
// revision it was built from) and UiState (open panels, zoom, presenter mode). No globals.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"
#include "ui/texture.hpp"

namespace qviz::ui {

enum class ComputePath : std::uint8_t { GpuCompute, GpuFragment, Cpu };
const char* computePathName(ComputePath p);

enum class ViewMode : std::uint8_t { SideBySide, Split, Error, Flicker };

// Everything a user would save: inputs and settings. Edited only through Commands.
struct Document {
  std::string imagePath;
  core::UniformSettings quant;
  ComputePath path = ComputePath::GpuCompute;
  std::array<int, 4> levelDepths{8, 4, 2, 1};
  ViewMode view = ViewMode::SideBySide;
  float errorGain = 4.0f;
  bool errorSigned = false;
  bool operator==(const Document&) const = default;
};

// A computed view of the document, tagged with the revision it reflects.
struct QuantizedView {
  std::uint64_t revision = ~0ull;
  core::Image reference;  // the quantizer input (the image, or its luma with "gray")
  core::Image quantized;
  core::ImageMetrics metrics;
  std::vector<core::Histogram> histBefore, histAfter;
  Texture original, result, error;
  std::string computedOn;  // "GPU (compute)", "CPU" ...
  double elapsedMs = 0;
};

struct LevelTile {
  int bits = 0;
  core::ImageMetrics metrics;
  Texture texture;
};

struct Derived {
  std::uint64_t imageRevision = ~0ull;  // revision of the loaded image
  std::string loadedPath;
  core::Image image;
  QuantizedView view;
  std::uint64_t levelsRevision = ~0ull;
  std::vector<LevelTile> levels;
};

struct Notice {
  std::string text;
  bool error = false;
  double time = 0;  // seconds since start when posted
};

struct PanelOpen {
  bool image = true, levels = false, metrics = true, histogram = true, numberLine = false, compare = false,
       weights = false, memory = false, concepts = false;
};

struct UiState {
  PanelOpen open;
  float zoom = 0.0f;  // 0: fit to the view
  float panX = 0, panY = 0;
  float splitPos = 0.5f;
  bool flickerShowOriginal = false;
  bool presenter = false;
  float fontScale = 1.0f;
  bool showHelp = false;
  bool showFileBrowser = false;
  bool showDemo = false;
  std::deque<Notice> notices;
  std::vector<std::string> recentFiles;
  std::string pendingScreenshot;  // export the window at the end of this frame
  std::string browserDir;         // in-app file browser: current folder
  std::string exportWhat;         // non-empty: the export dialog is open for this view
  std::string exportPath;
  bool quitRequested = false;
  double now = 0;
};

struct AppState {
  Document doc;
  std::uint64_t revision = 0;  // bumped whenever a command changes the document
  Derived derived;
  UiState ui;
};

}  // namespace qviz::ui
