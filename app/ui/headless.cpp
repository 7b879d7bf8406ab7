// Offscreen ImGui rendering: an RGBA8 framebuffer, ImGui's OpenGL3 backend without a platform
// backend (display size and time are set by hand), glReadPixels of the final frame.
#include "ui/headless.hpp"

#include <imgui.h>
#include <imgui_impl_opengl3.h>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>  // key codes only: the explorer's shortcuts and ImGui 1.86's key map use them

#include <algorithm>
#include <utility>

#include "ui/derived.hpp"
#include "ui/frame.hpp"
#include "ui/gpu_engine.hpp"

namespace qviz::ui {

core::Result<std::unique_ptr<HeadlessUi>> HeadlessUi::create(int width, int height, bool debug) {
  gpu::SessionOptions so;
  so.debug = debug;
  auto session = gpu::GpuSession::openHeadless(so);
  if (!session) return core::fail(session.error());
  std::unique_ptr<HeadlessUi> h(new HeadlessUi());
  h->m_session = std::move(*session);
  h->m_width = width;
  h->m_height = height;
  h->m_color = gpu::Texture::create();
  glBindTexture(GL_TEXTURE_2D, h->m_color.id());
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  h->m_fbo = gpu::Framebuffer::create();
  glBindFramebuffer(GL_FRAMEBUFFER, h->m_fbo.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, h->m_color.id(), 0);
  if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
    return core::fail("cannot create an offscreen framebuffer for the UI");
  if (auto st = h->initImGui(); !st) return core::fail(st.error());
  return h;
}

core::Status HeadlessUi::initImGui() {
  m_imgui = ImGui::CreateContext();
  ImGui::SetCurrentContext(m_imgui);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  // As the explorer's window: keyboard navigation on, keys indexed by GLFW key code (tests press
  // them through io.KeysDown).
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  const std::pair<ImGuiKey_, int> keyMap[] = {
      {ImGuiKey_Tab, GLFW_KEY_TAB},         {ImGuiKey_LeftArrow, GLFW_KEY_LEFT}, {ImGuiKey_RightArrow, GLFW_KEY_RIGHT},
      {ImGuiKey_UpArrow, GLFW_KEY_UP},      {ImGuiKey_DownArrow, GLFW_KEY_DOWN}, {ImGuiKey_PageUp, GLFW_KEY_PAGE_UP},
      {ImGuiKey_PageDown, GLFW_KEY_PAGE_DOWN}, {ImGuiKey_Home, GLFW_KEY_HOME},   {ImGuiKey_End, GLFW_KEY_END},
      {ImGuiKey_Insert, GLFW_KEY_INSERT},   {ImGuiKey_Delete, GLFW_KEY_DELETE},  {ImGuiKey_Backspace, GLFW_KEY_BACKSPACE},
      {ImGuiKey_Space, GLFW_KEY_SPACE},     {ImGuiKey_Enter, GLFW_KEY_ENTER},    {ImGuiKey_Escape, GLFW_KEY_ESCAPE},
      {ImGuiKey_KeyPadEnter, GLFW_KEY_KP_ENTER}, {ImGuiKey_A, GLFW_KEY_A},       {ImGuiKey_C, GLFW_KEY_C},
      {ImGuiKey_V, GLFW_KEY_V},             {ImGuiKey_X, GLFW_KEY_X},            {ImGuiKey_Y, GLFW_KEY_Y},
      {ImGuiKey_Z, GLFW_KEY_Z},
  };
  for (const auto& [imguiKey, glfwKey] : keyMap) io.KeyMap[imguiKey] = glfwKey;
  io.DisplaySize = ImVec2(float(m_width), float(m_height));
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 4;
  ImGui::GetStyle().FrameRounding = 3;
  if (!ImGui_ImplOpenGL3_Init("#version 330 core")) return core::fail("cannot initialise ImGui's OpenGL renderer");
  m_appliedScale = -1;
  return {};
}

core::Status HeadlessUi::restartImGui(const std::string& ini) {
  if (auto st = m_session->context().makeCurrent(); !st) return st;
  ImGui::SetCurrentContext(m_imgui);
  ImGui_ImplOpenGL3_Shutdown();
  ImGui::DestroyContext(m_imgui);
  m_imgui = nullptr;
  if (auto st = initImGui(); !st) return st;
  if (!ini.empty()) ImGui::LoadIniSettingsFromMemory(ini.data(), ini.size());
  return {};
}

HeadlessUi::~HeadlessUi() {
  if (m_imgui) {
    ImGui::SetCurrentContext(m_imgui);
    ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext(m_imgui);
  }
}

std::string HeadlessUi::renderer() const { return m_session->context().describe(); }

core::Status HeadlessUi::resize(int width, int height) {
  if (width < 64 || height < 64 || width > 16384 || height > 16384) return core::fail("bad offscreen size");
  if (auto st = m_session->context().makeCurrent(); !st) return st;
  glBindTexture(GL_TEXTURE_2D, m_color.id());
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glBindTexture(GL_TEXTURE_2D, 0);
  m_width = width;
  m_height = height;
  return {};
}

core::Status HeadlessUi::checkGl(const char* where) { return m_session->context().checkErrors(where); }

void HeadlessUi::finish() { glFinish(); }

core::Status HeadlessUi::frames(AppState& s, Commands& cmd, int n) { return draw(s, cmd, n, {}); }

core::Result<core::Image> HeadlessUi::run(AppState& s, Commands& cmd, int frames,
                                          const std::function<void(int, ImGuiIO&)>& input) {
  if (auto st = draw(s, cmd, frames, input); !st) return core::fail(st.error());
  core::Image img = core::Image::make(m_width, m_height, 3, core::SampleType::U8);
  std::vector<std::uint8_t> rows(img.byteSize());
  glBindFramebuffer(GL_FRAMEBUFFER, m_fbo.id());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, m_width, m_height, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  const std::size_t stride = std::size_t(m_width) * 3;
  for (int y = 0; y < m_height; ++y)
    std::copy_n(rows.data() + std::size_t(m_height - 1 - y) * stride, stride, img.u8.data() + std::size_t(y) * stride);
  return img;
}

core::Status HeadlessUi::draw(AppState& s, Commands& cmd, int frames,
                              const std::function<void(int, ImGuiIO&)>& input) {
  ImGui::SetCurrentContext(m_imgui);
  if (auto st = m_session->context().makeCurrent(); !st) return st;
  const ImGuiStyle baseStyle = [] {
    ImGuiStyle st;
    ImGui::StyleColorsDark(&st);
    st.WindowRounding = 4;
    st.FrameRounding = 3;
    return st;
  }();
  if (!s.derived.gpu) s.derived.gpu = GpuEngine::borrow(m_session->context(), m_session->shaders());
  FrameHooks hooks;
  for (int f = 0; f < frames; ++f) {
    applyCommands(s, cmd);
    updateDerived(s);
    if (m_appliedScale != s.ui.fontScale) {
      applyFontScale(s.ui, baseStyle);
      m_appliedScale = s.ui.fontScale;
    }
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(float(m_width), float(m_height));
    io.DeltaTime = 1.0f / 60.0f;
    if (input) input(f, io);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    s.ui.now += 1.0 / 60.0;
    drawFrame(s, cmd, hooks);
    ImGui::Render();
    glBindFramebuffer(GL_FRAMEBUFFER, m_fbo.id());
    glViewport(0, 0, m_width, m_height);
    glClearColor(0.08f, 0.08f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    // What the buffer swap does in a window: submit the frame. Without it llvmpipe queues every
    // frame's vertex and index buffers until something reads back (gigabytes over a long soak).
    glFlush();
  }
  return {};
}

}  // namespace qviz::ui
