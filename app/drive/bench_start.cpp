// --bench-start: the time and CPU from start to the first frame and to settled; see drivers.hpp.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "drive/drivers.hpp"
#include "ui/app_state.hpp"
#include "ui/qlora_session.hpp"

namespace qviz::drive {
namespace {
// Every number a visible panel shows is computed (metrics and histograms of the current view, the
// compare panel's CPU run, the QLoRA trainer's first tiles).
bool numbersSettled(const ui::AppState& s) {
  const ui::Derived& d = s.derived;
  if (d.image.empty()) return d.loadedPath == s.doc.imagePath;  // a failed load settles too
  const ui::QuantizedView& v = d.view;
  if (v.revision != s.revision || v.metricsPending()) return false;
  if ((s.ui.open.metrics || s.ui.open.histogram || s.ui.open.image) && !v.fallback() && !v.metricsCurrent()) return false;
  if (s.ui.open.compare && (d.compare.pending || d.compare.generation != v.generation)) return false;
  if (s.ui.open.levels && d.levelsRevision != s.revision) return false;
  if (s.ui.open.qlora && (!d.qlora || !d.qlora->ready())) return false;
  return true;
}
}  // namespace

bool BenchStart::woke(ui::Explorer& e, bool quiet) {
  const double now = e.msSinceStart();
  if (now > 60000) return false;  // never settled
  if (!quiet || e.frames() == 0) return true;
  // Settled: nothing left to draw or compute. Then 2 s more, to see that it stays idle.
  if (m_settledMs < 0 && numbersSettled(e.state())) {
    m_settledMs = now;
    m_settledCpuMs = processCpuMs();
    m_settledFrames = e.frames();
  }
  if (m_settledMs < 0 || !numbersSettled(e.state())) m_settledMs = -1;  // work arrived again: not settled yet
  else if (now - m_settledMs > 2000) return false;
  return true;
}

bool BenchStart::afterPresent(ui::Explorer& e) {
  if (e.frames() == 1) {
    m_firstFrameMs = e.msSinceStart();
    m_firstFrameCpuMs = processCpuMs();
  }
  return true;
}

int BenchStart::finish(ui::Explorer& e) {
  const ui::AppState& s = e.state();
  const double endMs = e.msSinceStart();
  const double endCpuMs = processCpuMs();
  const int frame = e.frames();
  nlohmann::ordered_json j;
  j["image"] = s.doc.imagePath;
  j["width"] = s.derived.image.width;
  j["height"] = s.derived.image.height;
  j["renderer"] = e.renderer();
  j["path"] = s.derived.view.computedOn;
  j["first_frame_ms"] = m_firstFrameMs;
  j["first_frame_cpu_ms"] = m_firstFrameCpuMs;
  j["settled_ms"] = m_settledMs;
  j["settled_cpu_ms"] = m_settledCpuMs;
  j["frames_to_settle"] = m_settledFrames;
  j["idle_after_settle_ms"] = m_settledMs >= 0 ? endMs - m_settledMs : 0;
  j["idle_cpu_ms"] = m_settledMs >= 0 ? endCpuMs - m_settledCpuMs : 0;
  j["frames_while_idle"] = frame - m_settledFrames;
  std::printf("bench-start: %s (%dx%d) on %s, %s path\n", s.doc.imagePath.c_str(), s.derived.image.width,
              s.derived.image.height, j["renderer"].get<std::string>().c_str(), s.derived.view.computedOn.c_str());
  std::printf("bench-start: first frame after %.0f ms (%.0f ms CPU); settled after %.0f ms (%.0f ms CPU, %d frames); "
              "then %.0f ms CPU and %d frames in %.1f s idle\n",
              m_firstFrameMs, m_firstFrameCpuMs, m_settledMs, m_settledCpuMs, m_settledFrames, double(j["idle_cpu_ms"]),
              frame - m_settledFrames, double(j["idle_after_settle_ms"]) * 1e-3);
  int rc = 0;
  if (m_settledMs < 0) {
    std::fprintf(stderr, "qviz: error: the explorer did not settle\n");
    rc = 2;
  }
  if (!m_json.empty() && !writeJson(m_json, j.dump(2) + "\n")) rc = 2;
  return rc;
}

}  // namespace qviz::drive
