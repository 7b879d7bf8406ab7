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
  // `debug`: a KHR_debug context, so checkGl() reports what the driver said.
  static core::Result<std::unique_ptr<HeadlessUi>> create(int width, int height, bool debug = false);
  ~HeadlessUi();
  HeadlessUi(const HeadlessUi&) = delete;
  HeadlessUi& operator=(const HeadlessUi&) = delete;

  // Runs `frames` frames (commands, derived update, UI) and returns the last one as RGB8.
  // `input(frame, io)` may set mouse/keyboard state before each frame.
  core::Result<core::Image> run(AppState& s, Commands& cmd, int frames,
                                const std::function<void(int, ImGuiIO&)>& input = {});
  // The same frames without reading the picture back (the soak test).
  core::Status frames(AppState& s, Commands& cmd, int frames);
  // A fresh ImGui context (no windows, no saved layout): the explorer's first start. `ini`, when
  // given, is loaded as the imgui.ini of an earlier run.
  core::Status restartImGui(const std::string& ini = {});
  // A new framebuffer size (a window resize).
  core::Status resize(int width, int height);
  int width() const { return m_width; }
  int height() const { return m_height; }
  // Waits until the GL has done everything submitted (glFinish): a quiet point to measure memory.
  void finish();
  // GL errors and KHR_debug errors since the last check (ok when none).
  core::Status checkGl(const char* where);
  std::string renderer() const;

private:
  HeadlessUi() = default;
  core::Status initImGui();
  core::Status draw(AppState& s, Commands& cmd, int frames, const std::function<void(int, ImGuiIO&)>& input);
  std::unique_ptr<gpu::GpuSession> m_session;
  gpu::Framebuffer m_fbo;
  gpu::Texture m_color;
  ImGuiContext* m_imgui = nullptr;
  int m_width = 0, m_height = 0;
  float m_appliedScale = -1;
};

}  // namespace qviz::ui
