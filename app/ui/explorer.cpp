// A first explorer: one window with the image, a bits slider and the live metrics. The CPU
// reference quantizes; the texture is re-uploaded only when a setting changes.
#include "ui/explorer.hpp"

#include <glad/gl.h>
// glad must come first.
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdio>
#include <filesystem>

#include "image/image_io.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"

#ifndef QVIZ_SOURCE_DIR
#define QVIZ_SOURCE_DIR "."
#endif

namespace qviz::ui {
using namespace qviz::core;

std::string defaultImagePath() {
  for (const char* dir : {QVIZ_SOURCE_DIR "/assets/images", "assets/images", "/usr/share/qviz/images"}) {
    const auto p = std::filesystem::path(dir) / "astronaut.png";
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return p.string();
  }
  return "assets/images/astronaut.png";
}

namespace {
GLuint uploadRgba8(const Image& img, GLuint tex) {
  // Expand any channel layout to RGBA8 for display.
  std::vector<std::uint8_t> rgba(img.pixelCount() * 4);
  const Image rgb = toRgb(img);
  const unsigned shift = img.type == SampleType::U16 ? 8 : 0;
  for (std::size_t p = 0; p < img.pixelCount(); ++p) {
    for (std::size_t c = 0; c < 3; ++c) rgba[p * 4 + c] = std::uint8_t(rgb.sample(p * std::size_t(rgb.channels) + c) >> shift);
    rgba[p * 4 + 3] = rgb.channels == 4 ? std::uint8_t(rgb.sample(p * 4 + 3) >> shift) : 255;
  }
  if (!tex) glGenTextures(1, &tex);
  glBindTexture(GL_TEXTURE_2D, tex);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, img.width, img.height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  return tex;
}
}  // namespace

int runExplorer(const ExplorerOptions& options) {
  const std::string path = options.imagePath.empty() ? defaultImagePath() : options.imagePath;
  std::string status;
  Image original;
  if (auto loaded = loadImage(path)) original = std::move(*loaded);
  else status = loaded.error();

  glfwSetErrorCallback([](int code, const char* msg) { std::fprintf(stderr, "qviz: GLFW error %d: %s\n", code, msg); });
  if (!glfwInit()) {
    std::fprintf(stderr, "qviz: error: cannot open a window (no display?); the CLI works headless: qviz --help\n");
    return 2;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  GLFWwindow* window = glfwCreateWindow(1400, 900, "QuantizationViz", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "qviz: error: cannot create an OpenGL 3.3 window\n");
    glfwTerminate();
    return 2;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);
  if (!gladLoadGL(glfwGetProcAddress)) {
    std::fprintf(stderr, "qviz: error: cannot load OpenGL functions\n");
    glfwDestroyWindow(window);
    glfwTerminate();
    return 2;
  }
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  UniformSettings settings;
  UniformSettings shown;
  shown.bits = -1;
  GLuint tex = 0;
  ImageMetrics metrics;
  int frame = 0;
  while (!glfwWindowShouldClose(window)) {
    glfwWaitEventsTimeout(0.5);
    if (!original.empty() && (shown.bits != settings.bits || shown.rounding != settings.rounding)) {
      auto q = quantizeUniform(original, settings);
      if (q) {
        tex = uploadRgba8(*q, tex);
        metrics = computeMetrics(original, original, *q, settings);
      } else {
        status = q.error();
      }
      shown = settings;
    }
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("QuantizationViz", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove);
    ImGui::TextUnformatted(path.c_str());
    if (!original.empty()) {
      ImGui::SliderInt("bits", &settings.bits, 1, original.bitDepth());
      int r = int(settings.rounding);
      ImGui::Combo("rounding", &r, "nearest\0truncate\0stochastic\0seed (original app)\0");
      settings.rounding = Rounding(r);
      ImGui::Text("PSNR %s dB   SSIM %.4f   levels %u   %.1f:1",
                  metrics.psnrDb ? std::to_string(*metrics.psnrDb).substr(0, 6).c_str() : "inf",
                  metrics.ssim.value_or(1.0), metrics.levelsUsed, metrics.storage.compressionRatio);
      const ImVec2 avail = ImGui::GetContentRegionAvail();
      const float scale = std::min(avail.x / float(original.width), avail.y / float(original.height));
      ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(tex)),
                   ImVec2(float(original.width) * scale, float(original.height) * scale));
    }
    if (!status.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", status.c_str());
    ImGui::End();
    ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(window, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.1f, 0.1f, 0.12f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    glfwSwapBuffers(window);
    if (options.frames > 0 && ++frame >= options.frames) break;
  }
  if (tex) glDeleteTextures(1, &tex);
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return 0;
}

}  // namespace qviz::ui
