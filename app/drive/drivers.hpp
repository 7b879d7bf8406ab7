// The drivers behind qviz_drive's script.hpp, each in its own file.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ui/explorer.hpp"

namespace qviz::drive {

// --screenshot: `frames` frames with the background work waited for, then the window saved; without
// a window, the same frames drawn offscreen (a headless EGL context). `afterUpdate` runs in each
// offscreen frame where the window's loop calls the drivers' afterUpdate.
class Screenshot final : public ui::Driver {
public:
  Screenshot(std::string path, int frames, int width, int height, std::function<void(ui::AppState&)> afterUpdate)
      : m_path(std::move(path)), m_frames(frames), m_width(width), m_height(height), m_afterUpdate(std::move(afterUpdate)) {}
  std::optional<int> start(ui::AppState& s) override;
  std::optional<int> withoutWindow(ui::AppState& s) override;
  bool freeRunning() const override { return true; }
  void afterRender(ui::Explorer& e) override;
  bool afterPresent(ui::Explorer& e) override;
  int finish(ui::Explorer&) override { return m_exitCode; }

private:
  std::string m_path;
  int m_frames, m_width, m_height;
  std::function<void(ui::AppState&)> m_afterUpdate;
  int m_exitCode = 0;
};

// --bench-ui: drags the bits slider through its range and pans a zoomed view for `frames` frames
// (without vsync, each frame finished), then prints the frame-time p50/p95/max, the mean time per
// frame spent updating, building the UI and rendering, and the time to the first frame.
class BenchUi final : public ui::Driver {
public:
  BenchUi(int frames, std::string json) : m_frames(frames), m_json(std::move(json)) {}
  bool freeRunning() const override { return true; }
  bool vsync() const override { return false; }
  void beforeUpdate(ui::Explorer& e) override;
  void afterUpdate(ui::Explorer&) override { m_updated = Clock::now(); }
  void afterBuild(ui::Explorer&) override { m_built = Clock::now(); }
  bool afterPresent(ui::Explorer& e) override;
  int finish(ui::Explorer& e) override;

private:
  using Clock = std::chrono::steady_clock;
  int m_frames;
  std::string m_json;
  Clock::time_point m_start, m_updated, m_built;
  std::vector<double> m_frameMs;
  double m_phaseMs[3] = {0, 0, 0};  // update (quantize, uploads), build the UI, rasterize and present
  double m_firstFrameMs = 0;
};

// --bench-start: starts as a user would (default settings, nothing saved), waits until the
// explorer is idle with every number on screen computed, watches 2 s more, and prints the time
// and process CPU time to the first frame and to settled.
class BenchStart final : public ui::Driver {
public:
  explicit BenchStart(std::string json) : m_json(std::move(json)) {}
  bool woke(ui::Explorer& e, bool quiet) override;
  bool afterPresent(ui::Explorer& e) override;
  int finish(ui::Explorer& e) override;

private:
  std::string m_json;
  double m_firstFrameMs = 0, m_firstFrameCpuMs = 0;
  double m_settledMs = -1, m_settledCpuMs = 0;
  int m_settledFrames = 0;
};

// CPU time of the whole process (every thread: workers and the GL driver's), in milliseconds.
double processCpuMs();
// Writes a report; false (with a message on stderr) when it cannot.
bool writeJson(const std::string& path, const std::string& text);

}  // namespace qviz::drive
