// --bench-ui: frame times while the bits slider moves and a zoomed view pans; see drivers.hpp.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "drive/drivers.hpp"
#include "ui/app_state.hpp"
#include "ui/commands.hpp"
#include "ui/qlora_session.hpp"

namespace qviz::drive {
namespace {
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}
}  // namespace

double processCpuMs() {
  rusage u = {};
  getrusage(RUSAGE_SELF, &u);
  return (double(u.ru_utime.tv_sec) + double(u.ru_stime.tv_sec)) * 1e3 +
         (double(u.ru_utime.tv_usec) + double(u.ru_stime.tv_usec)) * 1e-3;
}

void BenchUi::beforeUpdate(ui::Explorer& e) {
  m_start = Clock::now();
  ui::AppState& s = e.state();
  // With the QLoRA panel open, measure while it trains (from the moment its trainer exists).
  if (s.derived.qlora && s.derived.qlora->ready() && !s.derived.qlora->running()) s.derived.qlora->start();
  // Drag the bits slider through its range and pan the zoomed view.
  const int maxBits = s.derived.image.empty() ? 8 : s.derived.image.bitDepth();
  const int b = 1 + e.frames() % maxBits;
  e.commands().edit("bench bits", [b](ui::Document& d) { d.quant.bits = b; });
  s.ui.zoom = 2.0f;
  s.ui.panX = float((e.frames() * 7) % 400) - 200.0f;
}

bool BenchUi::afterPresent(ui::Explorer& e) {
  e.finishGl();
  using msd = std::chrono::duration<double, std::milli>;
  const double ms = msd(Clock::now() - m_start).count();
  if (e.frames() == 1) m_firstFrameMs = e.msSinceStart();
  else {
    m_frameMs.push_back(ms);
    m_phaseMs[0] += msd(m_updated - m_start).count();
    m_phaseMs[1] += msd(m_built - m_updated).count();
    m_phaseMs[2] += ms - msd(m_built - m_start).count();
  }
  return e.frames() < m_frames;
}

int BenchUi::finish(ui::Explorer& e) {
  const ui::AppState& s = e.state();
  const int frame = e.frames();
  nlohmann::ordered_json j;
  j["frames"] = frame;
  j["image"] = s.doc.imagePath;
  j["width"] = s.derived.image.width;
  j["height"] = s.derived.image.height;
  j["renderer"] = e.renderer();
  j["first_frame_ms"] = m_firstFrameMs;
  j["p50_ms"] = percentile(m_frameMs, 0.5);
  j["p95_ms"] = percentile(m_frameMs, 0.95);
  j["max_ms"] = m_frameMs.empty() ? 0 : *std::max_element(m_frameMs.begin(), m_frameMs.end());
  const double n = double(std::max<std::size_t>(1, m_frameMs.size()));
  j["mean_update_ms"] = m_phaseMs[0] / n;
  j["mean_build_ui_ms"] = m_phaseMs[1] / n;
  j["mean_render_present_ms"] = m_phaseMs[2] / n;
  if (s.derived.qlora) j["lora_steps_trained"] = s.derived.qlora->steps();
  std::printf("bench-ui: %d frames on %s, %dx%d image: p50 %.2f ms, p95 %.2f ms, max %.2f ms; first frame after %.0f ms\n",
              frame, j["renderer"].get<std::string>().c_str(), s.derived.image.width, s.derived.image.height,
              double(j["p50_ms"]), double(j["p95_ms"]), double(j["max_ms"]), m_firstFrameMs);
  std::printf("bench-ui: mean per frame: update %.2f ms (quantize, uploads), build the UI %.2f ms, render and present %.2f ms\n",
              m_phaseMs[0] / n, m_phaseMs[1] / n, m_phaseMs[2] / n);
  if (s.derived.qlora) std::printf("bench-ui: the QLoRA panel trained %d steps meanwhile\n", s.derived.qlora->steps());
  if (!m_json.empty() && !writeJson(m_json, j.dump(2) + "\n")) return 2;
  return 0;
}

}  // namespace qviz::drive
