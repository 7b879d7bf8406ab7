// --screenshot: the scripted figure, in the window or offscreen; see drivers.hpp.
#include <cstdio>

#include "drive/drivers.hpp"
#include "image/image_io.hpp"
#include "ui/app_state.hpp"
#include "ui/commands.hpp"
#include "ui/derived.hpp"
#include "ui/headless.hpp"

namespace qviz::drive {

std::optional<int> Screenshot::start(ui::AppState& s) {
  s.synchronous = true;  // a figure shows final numbers
  return std::nullopt;
}

// Without a display: the same frames drawn offscreen on a headless EGL context.
std::optional<int> Screenshot::withoutWindow(ui::AppState& s) {
  auto ui = ui::HeadlessUi::create(m_width, m_height);
  if (!ui) {
    std::fprintf(stderr, "qviz: error: no display and no headless GL context: %s\n", ui.error().c_str());
    return 2;
  }
  ui::Commands cmd;
  auto img = (*ui)->run(s, cmd, m_frames, [&](int, ImGuiIO&) {
    if (m_afterUpdate) m_afterUpdate(s);
  });
  if (!img) {
    std::fprintf(stderr, "qviz: error: %s\n", img.error().c_str());
    return 2;
  }
  s.derived.releaseGl();  // its GL objects go before the headless context
  if (auto st = core::savePng(*img, m_path); !st) {
    std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
    return 2;
  }
  return 0;
}

void Screenshot::afterRender(ui::Explorer& e) {
  if (e.frames() < m_frames) return;
  if (auto st = e.saveScreenshot(m_path); !st) {
    std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
    m_exitCode = 2;
  }
}

bool Screenshot::afterPresent(ui::Explorer& e) { return e.frames() < m_frames; }

}  // namespace qviz::drive
