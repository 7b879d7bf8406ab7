// The GLFW shell: window and GL context, the flat main loop (wait for events, apply commands,
// update derived caches, draw, present), drag-and-drop, the system file dialog and settings. The
// scripted runs (app/drive/) come in through the Driver hooks (ui/explorer.hpp).
#include "ui/explorer.hpp"

#include <glad/gl.h>
// glad first
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string_view>

#include <thread>

#include "image/image_io.hpp"
#include "gpu/shader_library.hpp"
#include "quant/format_table.hpp"
#include "ui/commands.hpp"
#include "ui/derived.hpp"
#include "ui/frame.hpp"
#include "ui/frame_pacing.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/panels.hpp"
#include "ui/qlora_session.hpp"
#include "ui/settings.hpp"
#include "ui/shader_watch.hpp"
#include "util/assets.hpp"
#include "util/fs.hpp"
#include "util/process_memory.hpp"

namespace qviz::ui {
namespace fs = std::filesystem;

std::string defaultImagePath() { return core::assetImagePath("astronaut.png"); }

namespace {
// State shared with GLFW callbacks and the system-dialog thread (through the window user pointer).
struct Mailbox {
  std::mutex mutex;
  std::vector<std::string> paths;  // from drops and the system dialog
  std::atomic<bool> dialogOpen{false};
};
struct Shell {
  GLFWwindow* window = nullptr;
  bool eventSeen = true;
  std::atomic<bool> workDone{false};  // set by the worker thread: a result is waiting
  // Shared with the dialog thread, which may outlive a closing window.
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
};

Shell* shellOf(GLFWwindow* w) { return static_cast<Shell*>(glfwGetWindowUserPointer(w)); }
void markEvent(GLFWwindow* w) { shellOf(w)->eventSeen = true; }

void post(Mailbox& m, std::string path) {
  std::lock_guard lock(m.mutex);
  m.paths.push_back(std::move(path));
}

bool haveZenity() {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p(path);
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = p.find(':', start);
    const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::error_code ec;
    if (!dir.empty() && fs::exists(fs::path(dir) / "zenity", ec)) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

void openSystemDialog(void* user) {
  auto* sh = static_cast<Shell*>(user);
  if (sh->mailbox->dialogOpen.exchange(true)) return;  // one dialog at a time
  // The dialog blocks, so it runs on its own thread; its answer comes back through the mailbox.
  std::thread([mailbox = sh->mailbox] {
    std::string result;
    if (FILE* f = ::popen("zenity --file-selection --title='Open image' "
                          "--file-filter='Images | *.png *.jpg *.jpeg *.bmp *.tga' 2>/dev/null",
                          "r")) {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, f)) result += buf;
      ::pclose(f);
    }
    while (!result.empty() && (result.back() == '\n' || result.back() == '\r')) result.pop_back();
    if (!result.empty()) post(*mailbox, result);
    mailbox->dialogOpen = false;
    glfwPostEmptyEvent();
  }).detach();
}

void requestQuit(void* user) { glfwSetWindowShouldClose(static_cast<Shell*>(user)->window, GLFW_TRUE); }

// Ctrl-C in the terminal, or SIGTERM / SIGHUP: quit like the window's close button, so the
// settings and the window layout are saved. The loop wakes at least every 100 ms to see it; a
// second signal ends the process at once (SA_RESETHAND).
volatile std::sig_atomic_t quitSignal = 0;
void onQuitSignal(int sig) { quitSignal = sig; }
void installQuitSignals() {
  struct sigaction sa = {};
  sa.sa_handler = onQuitSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

core::Status saveFramebuffer(int w, int h, const std::string& path, const std::vector<std::string>& inputs) {
  core::Image img = core::Image::make(w, h, 3, core::SampleType::U8);
  std::vector<std::uint8_t> rows(std::size_t(w) * std::size_t(h) * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
  const std::size_t stride = std::size_t(w) * 3;
  for (int y = 0; y < h; ++y)
    std::copy_n(rows.data() + std::size_t(h - 1 - y) * stride, stride, img.u8.data() + std::size_t(y) * stride);
  return core::savePng(img, path, inputs);
}

// The loop's state, and what a driver sees of it (the Explorer interface).
struct Loop final : Explorer {
  Loop(AppState& state, Commands& commands, Shell& shell, std::chrono::steady_clock::time_point started)
      : s(state), cmd(commands), sh(shell), start(started) {}
  AppState& s;
  Commands& cmd;
  Shell& sh;
  std::chrono::steady_clock::time_point start;
  int frame = 0, extraFrames = 3, measuringFrames = 0;
  int framesSinceTrim = 0;
  double lastFrameTime = 0;
  int fbw = 0, fbh = 0;

  AppState& state() override { return s; }
  Commands& commands() override { return cmd; }
  int frames() const override { return frame; }
  double msSinceStart() const override {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  std::string renderer() const override { return reinterpret_cast<const char*>(glGetString(GL_RENDERER)); }
  core::Status saveScreenshot(const std::string& path) override {
    auto st = saveFramebuffer(fbw, fbh, path, explorerInputs(s));
    postNotice(s.ui, st ? "saved a screenshot to " + path : st.error(), !st);
    return st;
  }
  void finishGl() override { glFinish(); }
};

enum class Wake { Draw, Idle, Quit };

// Idle costs nothing: blocks until input unless something animates. Draw: a frame is due.
Wake waitForWork(Loop& l, Driver& driver) {
  AppState& s = l.s;
  const bool training = s.derived.qlora && (s.derived.qlora->running() || s.derived.qlora->busy());
  // A notice does not animate: the loop wakes once when the oldest information notice fades
  // (6 s after it was posted; errors stay until dismissed). Redrawing at 30 Hz for those 6 s was
  // most of the start's CPU time on a software rasterizer.
  const double fadeAt = !s.ui.notices.empty() && !s.ui.notices.front().error ? s.ui.notices.front().time + 6.0 + 1e-3 : -1;
  const bool animating = s.doc.view == ViewMode::Flicker || !l.cmd.empty() || training ||
                         s.derived.view.metricsPending() || s.derived.compare.pending ||
                         s.ui.resetLayout;  // a layout to apply
  if (l.extraFrames > 0 || animating) glfwWaitEventsTimeout(animating ? 1.0 / 30.0 : 1.0 / 60.0);
  else glfwWaitEventsTimeout(fadeAt > 0 ? std::clamp(fadeAt - glfwGetTime(), 0.0, 0.1) : 0.1);  // wakes to poll the shader files (a few stat calls, no frame)
  if (quitSignal && l.frame > 0) return Wake::Quit;  // after one frame, so the layout has windows to save
  if (fadeAt > 0 && glfwGetTime() >= fadeAt) l.extraFrames = std::max(l.extraFrames, 1);
  if (l.sh.eventSeen || l.sh.workDone.exchange(false)) l.extraFrames = std::max(l.extraFrames, 2);
  l.sh.eventSeen = false;
  // Live coding: a saved shader file re-runs the views without any input.
  if (pollShaders(s)) l.extraFrames = std::max(l.extraFrames, 2);
  const bool quiet = l.extraFrames <= 0 && !animating;
  if (!driver.woke(l, quiet)) return Wake::Quit;
  if (quiet) {
    // Idle for 2 s after drawing: hand the allocator's free pages back (images, tensors and
    // textures freed meanwhile leave them in the worker and driver threads' arenas).
    if (l.framesSinceTrim > 0 && glfwGetTime() - l.lastFrameTime > 2.0) {
      (void)core::releaseFreeMemory();
      l.framesSinceTrim = 0;
    }
    std::lock_guard lock(l.sh.mailbox->mutex);
    if (l.sh.mailbox->paths.empty()) return Wake::Idle;
  }
  --l.extraFrames;
  return Wake::Draw;
}

// Dropped files and the system dialog's answer become commands.
void takeMailbox(Shell& sh, AppState& s, Commands& cmd) {
  std::lock_guard lock(sh.mailbox->mutex);
  for (auto& p : sh.mailbox->paths) {
    const std::string ext = std::filesystem::path(p).extension().string();
    // An image dropped on the QLoRA panel is offered as its base or target.
    if (s.ui.qloraHovered && ext != ".npy" && ext != ".safetensors") s.ui.loraDrop = p;
    else cmd.openFile(p);
  }
  sh.mailbox->paths.clear();
}

// Every ImGui quad samples the font atlas (solid fills its white texel). Glyphs are drawn at one
// texel per pixel, so nearest filtering looks the same as linear, and a software rasterizer
// (llvmpipe) renders the window about 20% faster with it; lines are antialiased by geometry
// instead of by the atlas's baked line textures, which need linear filtering.
void sampleFontNearest(ImTextureID& nearestFontTex) {
  ImGuiIO& io = ImGui::GetIO();
  if (io.Fonts->TexID == nearestFontTex) return;
  nearestFontTex = io.Fonts->TexID;
  GLint previous = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
  glBindTexture(GL_TEXTURE_2D, GLuint(reinterpret_cast<std::intptr_t>(nearestFontTex)));
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glBindTexture(GL_TEXTURE_2D, GLuint(previous));
}

// The saved settings, then the command line's choices over them: 0, or 2 with a message on stderr.
int applyOptions(AppState& s, const ExplorerOptions& o) {
  if (!o.ignoreSettings)
    if (std::string msg = loadSettings(s); !msg.empty()) postNotice(s.ui, msg, true);
  std::error_code ec;
  if (!o.imagePath.empty()) s.doc.imagePath = o.imagePath;
  else if (s.doc.imagePath.empty() || !fs::exists(s.doc.imagePath, ec)) s.doc.imagePath = defaultImagePath();
  if (o.bits > 0) s.doc.quant.bits = o.bits;
  if (!o.rounding.empty()) {
    if (!core::parseRounding(o.rounding, s.doc.quant.rounding)) {
      std::fprintf(stderr, "qviz: error: unknown rounding '%s' (nearest, truncate, stochastic, seed, user, drop)\n",
                   o.rounding.c_str());
      return 2;
    }
    if (s.doc.quant.rounding != core::Rounding::Nearest) s.doc.quant.dither = core::Dither::None;
  }
  if (!o.weightsFormat.empty()) {
    const core::FormatDesc* f = core::findFormat(o.weightsFormat);
    if (!f) {
      std::fprintf(stderr, "qviz: error: unknown format '%s' (%s)\n", o.weightsFormat.c_str(), core::formatNames(", ").c_str());
      return 2;
    }
    s.doc.weights.format = f->format;
  }
  if (!o.weightsSource.empty()) {
    const char* names[] = {"normal", "heavy", "uniform"};
    const auto it = std::find(std::begin(names), std::end(names), std::string_view(o.weightsSource));
    if (it == std::end(names)) {
      std::fprintf(stderr, "qviz: error: unknown weights source '%s' (normal, heavy, uniform)\n", o.weightsSource.c_str());
      return 2;
    }
    s.doc.weights.source = WeightSource(it - std::begin(names));
  }
  if (o.weightsBlock >= 0) s.doc.weights.block = o.weightsBlock;
  if (!o.shaderDir.empty()) {
    if (!std::filesystem::is_directory(o.shaderDir, ec)) {
      std::fprintf(stderr, "qviz: error: --shader-dir %s is not a directory\n", o.shaderDir.c_str());
      return 2;
    }
    // The library reads $QVIZ_SHADER_DIR when the engine is made (after the window exists).
    ::setenv("QVIZ_SHADER_DIR", o.shaderDir.c_str(), 1);
  }
  if (!o.panel.empty()) {
    const PanelEntry* p = findPanel(o.panel.c_str());
    if (!p) {
      std::string names;
      for (const auto& e : panelTable()) names += std::string(names.empty() ? "" : ", ") + e.name;
      std::fprintf(stderr, "qviz: error: unknown panel '%s' (%s)\n", o.panel.c_str(), names.c_str());
      return 2;
    }
    s.ui.open.*(p->open) = true;
    // A figure of one panel: its layout trait (PanelInfo::solo) says what stays open beside it.
    if (p->solo != PanelSolo::WithSide) s.ui.open.metrics = s.ui.open.histogram = false;
    if (p->solo == PanelSolo::Window) s.ui.open.image = false;
  }
  if (o.presenter) {
    s.ui.presenter = true;
    s.ui.fontScale = 2.0f;
  }
  return 0;
}

// A GL 3.3+ core window (the newest version the driver gives), every input marking a redraw.
GLFWwindow* openWindow(Shell& sh, int width, int height) {
  const int versions[][2] = {{4, 5}, {4, 3}, {4, 1}, {3, 3}};
  for (const auto& v : versions) {
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, v[0]);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, v[1]);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    sh.window = glfwCreateWindow(width, height, "QuantizationViz", nullptr, nullptr);
    if (sh.window) break;
  }
  if (!sh.window) {
    std::fprintf(stderr, "qviz: error: cannot create an OpenGL 3.3+ core window\n");
    return nullptr;
  }
  glfwSetWindowUserPointer(sh.window, &sh);
  glfwMakeContextCurrent(sh.window);
  if (!gladLoadGL(glfwGetProcAddress)) {
    std::fprintf(stderr, "qviz: error: cannot load OpenGL functions\n");
    glfwDestroyWindow(sh.window);
    return sh.window = nullptr;
  }
  // Our callbacks first: ImGui's GLFW backend chains to them, so every input marks a redraw.
  glfwSetCursorPosCallback(sh.window, [](GLFWwindow* w, double, double) { markEvent(w); });
  glfwSetMouseButtonCallback(sh.window, [](GLFWwindow* w, int, int, int) { markEvent(w); });
  glfwSetScrollCallback(sh.window, [](GLFWwindow* w, double, double) { markEvent(w); });
  glfwSetKeyCallback(sh.window, [](GLFWwindow* w, int, int, int, int) { markEvent(w); });
  glfwSetCharCallback(sh.window, [](GLFWwindow* w, unsigned) { markEvent(w); });
  glfwSetWindowFocusCallback(sh.window, [](GLFWwindow* w, int) { markEvent(w); });
  glfwSetFramebufferSizeCallback(sh.window, [](GLFWwindow* w, int, int) { markEvent(w); });
  glfwSetWindowRefreshCallback(sh.window, [](GLFWwindow* w) { markEvent(w); });
  glfwSetDropCallback(sh.window, [](GLFWwindow* w, int count, const char** paths) {
    for (int i = 0; i < count; ++i) post(*shellOf(w)->mailbox, paths[i]);
    markEvent(w);
  });
  return sh.window;
}
}  // namespace

int runExplorer(const ExplorerOptions& o, Driver* script) {
  const auto start = std::chrono::steady_clock::now();
  Driver none;
  Driver& driver = script ? *script : none;
  const bool freeRunning = driver.freeRunning();
  // Ctrl-C, SIGTERM and SIGHUP quit as the close button does (settings and layout saved), also when
  // they arrive while the window is still being set up: the loop quits after its first frame.
  if (!freeRunning) installQuitSignals();
  AppState s;
  Commands cmd;
  const bool savedSettings = !o.ignoreSettings && std::filesystem::exists(configDir() + "/settings.json");
  if (const int rc = applyOptions(s, o)) return rc;
  if (auto rc = driver.start(s)) return *rc;

  const bool haveDisplay = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  if (!haveDisplay)
    if (auto rc = driver.withoutWindow(s)) return *rc;
  glfwSetErrorCallback([](int code, const char* msg) { std::fprintf(stderr, "qviz: GLFW error %d: %s\n", code, msg); });
  if (!glfwInit()) {
    if (auto rc = driver.withoutWindow(s)) return *rc;
    std::fprintf(stderr, "qviz: error: cannot open a window (no display?); the CLI works without one: qviz --help\n");
    return 2;
  }
  Shell sh;
  if (!openWindow(sh, o.width, o.height)) {
    glfwTerminate();
    return 2;
  }
  glfwSwapInterval(driver.vsync() ? 1 : 0);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // saved atomically by us
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  const std::string iniPath = configDir() + "/imgui.ini";
  if (!o.ignoreSettings) {
    std::string ini;
    if (std::string msg = loadImguiIni(iniPath, ini); !msg.empty()) postNotice(s.ui, msg, true);
    else if (!ini.empty()) ImGui::LoadIniSettingsFromMemory(ini.data(), ini.size());
  }
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowRounding = 4;
  style.FrameRounding = 3;
  style.AntiAliasedLinesUseTex = false;  // the font atlas is sampled nearest (sampleFontNearest)
  const ImGuiStyle baseStyle = style;
  // The GPU engine shares the window's context; without it (GL < 3.3) everything runs on the CPU.
  if (auto engine = GpuEngine::forCurrentContext(glfwGetProcAddress)) s.derived.gpu = std::move(*engine);
  else postNotice(s.ui, "GPU path unavailable, using the CPU reference: " + engine.error(), true);
  // A software rasterizer (llvmpipe) runs "GPU" kernels on the CPU, slower than the vectorized CPU
  // reference: start on the CPU path there unless the user chose a path before.
  if (s.derived.gpu && !savedSettings) {
    const std::string& r = s.derived.gpu->context().caps().renderer;
    if (r.find("llvmpipe") != std::string::npos || r.find("softpipe") != std::string::npos) {
      s.doc.path = ComputePath::Cpu;
      postNotice(s.ui, "software OpenGL (" + r + "): starting on the CPU path; the GPU paths are in the path menu", false);
    }
  }
  ImGui_ImplGlfw_InitForOpenGL(sh.window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  float appliedScale = -1;
  ImTextureID nearestFontTex = nullptr;  // the font atlas whose filter is set to nearest

  FrameHooks hooks;
  hooks.canOpenSystemDialog = haveZenity();
  hooks.openSystemDialog = openSystemDialog;
  hooks.requestQuit = requestQuit;
  hooks.user = &sh;
  // Every background result (metrics, GPU vs CPU compare, error curve, QLoRA snapshots) wakes the loop.
  s.derived.setWake([&sh] {
    sh.workDone = true;
    glfwPostEmptyEvent();
  });

  Loop l(s, cmd, sh, start);
  while (!glfwWindowShouldClose(sh.window)) {
    if (freeRunning) glfwPollEvents();
    else if (const Wake w = waitForWork(l, driver); w == Wake::Quit) break;
    else if (w == Wake::Idle) continue;
    takeMailbox(sh, s, cmd);
    driver.beforeUpdate(l);
    applyCommands(s, cmd);
    updateDerived(s);
    driver.afterUpdate(l);

    if (appliedScale != s.ui.fontScale) {
      applyFontScale(s.ui, baseStyle);
      appliedScale = s.ui.fontScale;
    }
    ImGui_ImplOpenGL3_NewFrame();
    sampleFontNearest(nearestFontTex);
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    s.ui.now = glfwGetTime();
    drawFrame(s, cmd, hooks);
    ImGui::Render();
    driver.afterBuild(l);
    // A combo list, menu or tooltip opened this frame is hidden while ImGui measures it: show it on
    // the next frame, also when no input follows (a tap on a combo; ui/frame_pacing.hpp).
    if (needsAnotherFrame(l.measuringFrames)) l.extraFrames = std::max(l.extraFrames, 1);

    glfwGetFramebufferSize(sh.window, &l.fbw, &l.fbh);
    glViewport(0, 0, l.fbw, l.fbh);
    glClearColor(0.08f, 0.08f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    ++l.frame;
    ++l.framesSinceTrim;
    l.lastFrameTime = glfwGetTime();
    driver.afterRender(l);
    if (!s.ui.pendingScreenshot.empty()) {
      (void)l.saveScreenshot(s.ui.pendingScreenshot);
      s.ui.pendingScreenshot.clear();
    }
    glfwSwapBuffers(sh.window);
    if (!driver.afterPresent(l)) break;
  }
  const int exitCode = driver.finish(l);

  if (!o.ignoreSettings && !freeRunning) {
    if (std::string err = saveSettings(s); !err.empty()) std::fprintf(stderr, "qviz: %s\n", err.c_str());
    std::size_t iniSize = 0;
    const char* ini = ImGui::SaveIniSettingsToMemory(&iniSize);
    if (auto st = core::writeFileAtomic(iniPath, ini, iniSize); !st) std::fprintf(stderr, "qviz: %s\n", st.error().c_str());
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  // No wake may reach the window once it is gone: the workers stop calling, the trainer stops.
  s.derived.setWake({});
  s.derived.qlora.reset();
  s.derived.metricsWorker->waitIdle();
  s.derived.releaseGl();  // textures and the GPU engine go before the context
  glfwDestroyWindow(sh.window);
  glfwTerminate();
  return exitCode;
}

}  // namespace qviz::ui
