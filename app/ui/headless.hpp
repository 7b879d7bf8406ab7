// HeadlessUi: draws the explorer's frames into an offscreen framebuffer on a headless EGL context
// (no X server, no GLFW): for UI tests, and for --screenshot where no display is available.
#pragma once
#include <functional>
#include <memory>

#include "gpu/gl_objects.hpp"
#include "gpu/session.hpp"
#include "image/image.hpp"
#include "ui/app_state.hpp"
#include "ui/commands.hpp"

struct ImGuiIO;
struct ImGuiContext;

namespace qviz::ui {

class HeadlessUi {
public:
  static core::Result<std::unique_ptr<HeadlessUi>> create(int width, int height);
  ~HeadlessUi();
  HeadlessUi(const HeadlessUi&) = delete;
  HeadlessUi& operator=(const HeadlessUi&) = delete;

  // Runs `frames` frames (commands, derived update, UI) and returns the last one as RGB8.
  // `input(frame, io)` may set mouse/keyboard state before each frame.
  core::Result<core::Image> run(AppState& s, Commands& cmd, int frames,
                                const std::function<void(int, ImGuiIO&)>& input = {});
  std::string renderer() const;

private:
  HeadlessUi() = default;
  std::unique_ptr<gpu::GpuSession> m_session;
  gpu::Framebuffer m_fbo;
  gpu::Texture m_color;
  ImGuiContext* m_imgui = nullptr;
  int m_width = 0, m_height = 0;
  float m_appliedScale = -1;
};

}  // namespace qviz::ui
