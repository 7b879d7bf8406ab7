// The GLFW shell: window and GL context, the flat main loop (wait for events, apply commands,
// update derived caches, draw, present), drag-and-drop, the system file dialog, settings, and the
// scripted modes (--screenshot, --bench-ui).
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
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <thread>

#include "image/image_io.hpp"
#include "gpu/shader_library.hpp"
#include "ui/commands.hpp"
#include "ui/derived.hpp"
#include "ui/frame.hpp"
#include "ui/frame_pacing.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/headless.hpp"
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

// --screenshot without a display: the same frames drawn offscreen on a headless EGL context.
int headlessScreenshot(AppState& s, const ExplorerOptions& o) {
  auto ui = HeadlessUi::create(o.width, o.height);
  if (!ui) {
    std::fprintf(stderr, "qviz: error: no display and no headless GL context: %s\n", ui.error().c_str());
    return 2;
  }
  Commands cmd;
  s.ui.synchronous = true;
  auto img = (*ui)->run(s, cmd, o.frames > 0 ? o.frames : 5);
  if (!img) {
    std::fprintf(stderr, "qviz: error: %s\n", img.error().c_str());
    return 2;
  }
  s.derived.releaseGl();  // its GL objects go before the headless context
  if (auto st = core::savePng(*img, o.screenshot); !st) {
    std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
    return 2;
  }
  return 0;
}

// CPU time of the whole process (every thread: workers and the GL driver's), in milliseconds.
double processCpuMs() {
  rusage u = {};
  getrusage(RUSAGE_SELF, &u);
  return (double(u.ru_utime.tv_sec) + double(u.ru_stime.tv_sec)) * 1e3 +
         (double(u.ru_utime.tv_usec) + double(u.ru_stime.tv_usec)) * 1e-3;
}

// --bench-start: every number a visible panel shows is computed (metrics and histograms of the
// current view, the compare panel's CPU run, the QLoRA trainer's first tiles).
bool numbersSettled(const AppState& s) {
  const Derived& d = s.derived;
  if (d.image.empty()) return d.loadedPath == s.doc.imagePath;  // a failed load settles too
  const QuantizedView& v = d.view;
  if (v.revision != s.revision || v.cpuMetricsPending || v.gpuMetricsPending || v.ssimPending) return false;
  if ((s.ui.open.metrics || s.ui.open.histogram || s.ui.open.image) && !v.fallback && !v.metricsCurrent()) return false;
  if (s.ui.open.compare && (d.compare.pending || d.compare.generation != v.generation)) return false;
  if (s.ui.open.levels && d.levelsRevision != s.revision) return false;
  if (s.ui.open.qlora && (!d.qlora || !d.qlora->ready())) return false;
  return true;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}
}  // namespace

int runExplorer(const ExplorerOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  AppState s;
  Commands cmd;
  const bool savedSettings = !o.ignoreSettings && std::filesystem::exists(configDir() + "/settings.json");
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
    // A figure of one panel: give it the right-hand column to itself; wide panels the window.
    if (o.panel != "image" && o.panel != "metrics" && o.panel != "histogram" && o.panel != "levels")
      s.ui.open.metrics = s.ui.open.histogram = false;
    if (o.panel == "qlora") s.ui.open.image = false;
  }
  s.ui.loraSteps = o.loraSteps;
  if (o.presenter) {
    s.ui.presenter = true;
    s.ui.fontScale = 2.0f;
  }

  // No output may be a file the explorer reads (the same file: device and inode, through links):
  // the image, the shader folder (the user quantizer included), settings.json and imgui.ini.
  {
    const std::vector<std::string> inputs = explorerInputs(s);
    const std::pair<const char*, const std::string*> outputs[] = {{"--screenshot", &o.screenshot}, {"--json", &o.benchJson}};
    for (const auto& [flag, out] : outputs) {
      if (out->empty()) continue;
      for (const auto& in : inputs)
        if (core::samePath(in, *out)) {
          std::fprintf(stderr, "qviz: error: %s %s is %s, which the explorer reads; refusing to overwrite it\n", flag,
                       out->c_str(), in.c_str());
          return 2;
        }
    }
    if (!o.screenshot.empty() && !o.benchJson.empty() && core::samePath(o.screenshot, o.benchJson)) {
      std::fprintf(stderr, "qviz: error: --screenshot and --json name the same file\n");
      return 2;
    }
  }

  const bool haveDisplay = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  if (!haveDisplay && !o.screenshot.empty()) return headlessScreenshot(s, o);
  glfwSetErrorCallback([](int code, const char* msg) { std::fprintf(stderr, "qviz: GLFW error %d: %s\n", code, msg); });
  if (!glfwInit()) {
    if (!o.screenshot.empty()) return headlessScreenshot(s, o);
    std::fprintf(stderr, "qviz: error: cannot open a window (no display?); the CLI works without one: qviz --help\n");
    return 2;
  }
  Shell sh;
  const int versions[][2] = {{4, 5}, {4, 3}, {4, 1}, {3, 3}};
  for (const auto& v : versions) {
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, v[0]);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, v[1]);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    sh.window = glfwCreateWindow(o.width, o.height, "QuantizationViz", nullptr, nullptr);
    if (sh.window) break;
  }
  if (!sh.window) {
    std::fprintf(stderr, "qviz: error: cannot create an OpenGL 3.3+ core window\n");
    glfwTerminate();
    return 2;
  }
  glfwSetWindowUserPointer(sh.window, &sh);
  glfwMakeContextCurrent(sh.window);
  glfwSwapInterval(o.benchUi ? 0 : 1);
  if (!gladLoadGL(glfwGetProcAddress)) {
    std::fprintf(stderr, "qviz: error: cannot load OpenGL functions\n");
    glfwDestroyWindow(sh.window);
    glfwTerminate();
    return 2;
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
  style.AntiAliasedLinesUseTex = false;  // the font atlas is sampled nearest (see the main loop)  // the font atlas is sampled nearest (see the main loop)
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

  const bool scripted = !o.screenshot.empty() || o.benchUi;
  s.ui.synchronous = !o.screenshot.empty();  // a figure shows final numbers
  // Every background result (metrics, GPU vs CPU compare, error curve, QLoRA snapshots) wakes the loop.
  s.derived.setWake([&sh] {
    sh.workDone = true;
    glfwPostEmptyEvent();
  });
  const int totalFrames = o.frames > 0 ? o.frames : (scripted ? (o.benchUi ? 300 : 5) : 0);
  std::vector<double> frameMs;
  double phaseMs[3] = {0, 0, 0};  // --bench-ui: update (quantize, uploads), build the UI, rasterize and present
  double firstFrameMs = 0, firstFrameCpuMs = 0;
  double settledMs = -1, settledCpuMs = 0;  // --bench-start
  int settledFrames = 0;
  int frame = 0, extraFrames = 3, measuringFrames = 0;
  int framesSinceTrim = 0;
  double lastFrameTime = 0;
  int exitCode = 0;
  if (!scripted) installQuitSignals();
  while (!glfwWindowShouldClose(sh.window)) {
    // Idle costs nothing: block until input unless something animates or a scripted run is going.
    const bool training = s.derived.qlora && (s.derived.qlora->running() || s.derived.qlora->busy());
    // A notice does not animate: the loop wakes once when the oldest information notice fades
    // (6 s after it was posted; errors stay until dismissed). Redrawing at 30 Hz for those 6 s was
    // most of the start's CPU time on a software rasterizer.
    const double fadeAt = !s.ui.notices.empty() && !s.ui.notices.front().error ? s.ui.notices.front().time + 6.0 + 1e-3 : -1;
    const bool animating = s.doc.view == ViewMode::Flicker || !cmd.empty() || training ||
                           s.derived.view.ssimPending || s.derived.view.gpuMetricsPending ||
                           s.derived.view.cpuMetricsPending || s.derived.compare.pending ||
                           s.ui.resetLayout;  // a layout to apply
    if (!scripted) {
      if (extraFrames > 0 || animating) glfwWaitEventsTimeout(animating ? 1.0 / 30.0 : 1.0 / 60.0);
      else glfwWaitEventsTimeout(fadeAt > 0 ? std::clamp(fadeAt - glfwGetTime(), 0.0, 0.1) : 0.1);  // wakes to poll the shader files (a few stat calls, no frame)
      if (quitSignal) break;
      if (fadeAt > 0 && glfwGetTime() >= fadeAt) extraFrames = std::max(extraFrames, 1);
      if (o.benchStart && std::chrono::steady_clock::now() - start > std::chrono::seconds(60)) break;  // never settled
      if (sh.eventSeen || sh.workDone.exchange(false)) extraFrames = std::max(extraFrames, 2);
      sh.eventSeen = false;
      // Live coding: a saved shader file re-runs the views without any input.
      if (pollShaders(s)) extraFrames = std::max(extraFrames, 2);
      if (o.benchStart && extraFrames <= 0 && !animating && frame > 0) {
        // Settled: nothing left to draw or compute. Then 2 s more, to see that it stays idle.
        const double now = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (settledMs < 0 && numbersSettled(s)) {
          settledMs = now;
          settledCpuMs = processCpuMs();
          settledFrames = frame;
        }
        if (settledMs < 0 || !numbersSettled(s)) settledMs = -1;  // work arrived again: not settled yet
        else if (now - settledMs > 2000) break;
      }
      if (extraFrames <= 0 && !animating) {
        // Idle for 2 s after drawing: hand the allocator's free pages back (images, tensors and
        // textures freed meanwhile leave them in the worker and driver threads' arenas).
        if (framesSinceTrim > 0 && glfwGetTime() - lastFrameTime > 2.0) {
          (void)core::releaseFreeMemory();
          framesSinceTrim = 0;
        }
        std::lock_guard lock(sh.mailbox->mutex);
        if (sh.mailbox->paths.empty()) continue;
      }
      --extraFrames;
    } else {
      glfwPollEvents();
    }
    {
      std::lock_guard lock(sh.mailbox->mutex);
      for (auto& p : sh.mailbox->paths) {
        const std::string ext = std::filesystem::path(p).extension().string();
        // An image dropped on the QLoRA panel is offered as its base or target.
        if (s.ui.qloraHovered && ext != ".npy" && ext != ".safetensors") s.ui.loraDrop = p;
        else cmd.openFile(p);
      }
      sh.mailbox->paths.clear();
    }
    const auto t0 = std::chrono::steady_clock::now();
    // With the QLoRA panel open, measure while it trains (from the moment its trainer exists).
    if (o.benchUi && s.derived.qlora && s.derived.qlora->ready() && !s.derived.qlora->running()) s.derived.qlora->start();
    if (o.benchUi) {
      // Drag the bits slider through its range and pan the zoomed view.
      const int maxBits = s.derived.image.empty() ? 8 : s.derived.image.bitDepth();
      const int b = 1 + frame % maxBits;
      cmd.edit("bench bits", [b](Document& d) { d.quant.bits = b; });
      s.ui.zoom = 2.0f;
      s.ui.panX = float((frame * 7) % 400) - 200.0f;
    }
    applyCommands(s, cmd);
    updateDerived(s);
    const auto tUpdated = std::chrono::steady_clock::now();
    if (appliedScale != s.ui.fontScale) {
      applyFontScale(s.ui, baseStyle);
      appliedScale = s.ui.fontScale;
    }
    ImGui_ImplOpenGL3_NewFrame();
    if (io.Fonts->TexID != nearestFontTex) {
      // Every ImGui quad samples the font atlas (solid fills its white texel). Glyphs are drawn at
      // one texel per pixel, so nearest filtering looks the same as linear, and a software
      // rasterizer (llvmpipe) renders the window about 20% faster with it; lines are antialiased
      // by geometry instead of by the atlas's baked line textures, which need linear filtering.
      nearestFontTex = io.Fonts->TexID;
      GLint previous = 0;
      glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
      glBindTexture(GL_TEXTURE_2D, GLuint(reinterpret_cast<std::intptr_t>(nearestFontTex)));
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      glBindTexture(GL_TEXTURE_2D, GLuint(previous));
    }
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    s.ui.now = glfwGetTime();
    drawFrame(s, cmd, hooks);
    ImGui::Render();
    const auto tBuilt = std::chrono::steady_clock::now();
    // A combo list, menu or tooltip opened this frame is hidden while ImGui measures it: show it on
    // the next frame, also when no input follows (a tap on a combo; ui/frame_pacing.hpp).
    if (needsAnotherFrame(measuringFrames)) extraFrames = std::max(extraFrames, 1);
    int fbw = 0, fbh = 0;
    glfwGetFramebufferSize(sh.window, &fbw, &fbh);
    glViewport(0, 0, fbw, fbh);
    glClearColor(0.08f, 0.08f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    ++frame;
    ++framesSinceTrim;
    lastFrameTime = glfwGetTime();
    const bool lastScripted = scripted && frame >= totalFrames;
    if (!s.ui.pendingScreenshot.empty() || (lastScripted && !o.screenshot.empty())) {
      const std::string path = lastScripted && !o.screenshot.empty() ? o.screenshot : s.ui.pendingScreenshot;
      const auto st = saveFramebuffer(fbw, fbh, path, explorerInputs(s));
      if (lastScripted && !o.screenshot.empty() && !st) {
        std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
        exitCode = 2;
      }
      postNotice(s.ui, st ? "saved a screenshot to " + path : st.error(), !st);
      s.ui.pendingScreenshot.clear();
    }
    glfwSwapBuffers(sh.window);
    if (o.benchUi) glFinish();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (frame == 1) {
      firstFrameMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      firstFrameCpuMs = processCpuMs();
    }
    else {
      frameMs.push_back(ms);
      using msd = std::chrono::duration<double, std::milli>;
      phaseMs[0] += msd(tUpdated - t0).count();
      phaseMs[1] += msd(tBuilt - tUpdated).count();
      phaseMs[2] += ms - msd(tBuilt - t0).count();
    }
    if (lastScripted) break;
  }
  if (o.benchUi) {
    nlohmann::ordered_json j;
    j["frames"] = frame;
    j["image"] = s.doc.imagePath;
    j["width"] = s.derived.image.width;
    j["height"] = s.derived.image.height;
    j["renderer"] = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    j["first_frame_ms"] = firstFrameMs;
    j["p50_ms"] = percentile(frameMs, 0.5);
    j["p95_ms"] = percentile(frameMs, 0.95);
    j["max_ms"] = frameMs.empty() ? 0 : *std::max_element(frameMs.begin(), frameMs.end());
    const double n = double(std::max<std::size_t>(1, frameMs.size()));
    j["mean_update_ms"] = phaseMs[0] / n;
    j["mean_build_ui_ms"] = phaseMs[1] / n;
    j["mean_render_present_ms"] = phaseMs[2] / n;
    if (s.derived.qlora) j["lora_steps_trained"] = s.derived.qlora->steps();
    std::printf("bench-ui: %d frames on %s, %dx%d image: p50 %.2f ms, p95 %.2f ms, max %.2f ms; first frame after %.0f ms\n",
                frame, j["renderer"].get<std::string>().c_str(), s.derived.image.width, s.derived.image.height,
                double(j["p50_ms"]), double(j["p95_ms"]), double(j["max_ms"]), firstFrameMs);
    std::printf("bench-ui: mean per frame: update %.2f ms (quantize, uploads), build the UI %.2f ms, render and present %.2f ms\n",
                phaseMs[0] / n, phaseMs[1] / n, phaseMs[2] / n);
    if (s.derived.qlora) std::printf("bench-ui: the QLoRA panel trained %d steps meanwhile\n", s.derived.qlora->steps());
    if (!o.benchJson.empty())
      if (auto st = core::writeFileAtomic(o.benchJson, j.dump(2) + "\n"); !st) {
        std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
        exitCode = 2;
      }
  }
  if (o.benchStart) {
    const double endMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const double endCpuMs = processCpuMs();
    nlohmann::ordered_json j;
    j["image"] = s.doc.imagePath;
    j["width"] = s.derived.image.width;
    j["height"] = s.derived.image.height;
    j["renderer"] = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    j["path"] = s.derived.view.computedOn;
    j["first_frame_ms"] = firstFrameMs;
    j["first_frame_cpu_ms"] = firstFrameCpuMs;
    j["settled_ms"] = settledMs;
    j["settled_cpu_ms"] = settledCpuMs;
    j["frames_to_settle"] = settledFrames;
    j["idle_after_settle_ms"] = settledMs >= 0 ? endMs - settledMs : 0;
    j["idle_cpu_ms"] = settledMs >= 0 ? endCpuMs - settledCpuMs : 0;
    j["frames_while_idle"] = frame - settledFrames;
    std::printf("bench-start: %s (%dx%d) on %s, %s path\n", s.doc.imagePath.c_str(), s.derived.image.width,
                s.derived.image.height, j["renderer"].get<std::string>().c_str(), s.derived.view.computedOn.c_str());
    std::printf("bench-start: first frame after %.0f ms (%.0f ms CPU); settled after %.0f ms (%.0f ms CPU, %d frames); "
                "then %.0f ms CPU and %d frames in %.1f s idle\n",
                firstFrameMs, firstFrameCpuMs, settledMs, settledCpuMs, settledFrames, double(j["idle_cpu_ms"]),
                frame - settledFrames, double(j["idle_after_settle_ms"]) * 1e-3);
    if (settledMs < 0) {
      std::fprintf(stderr, "qviz: error: the explorer did not settle\n");
      exitCode = 2;
    }
    if (!o.benchJson.empty())
      if (auto st = core::writeFileAtomic(o.benchJson, j.dump(2) + "\n"); !st) {
        std::fprintf(stderr, "qviz: error: %s\n", st.error().c_str());
        exitCode = 2;
      }
  }
  if (!o.ignoreSettings && !scripted) {
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
