// Live coding in the explorer (offscreen): the user shader as a rounding mode, its annotated
// controls, hot reload with a broken edit (stale view, the last good program keeps running, the error
// located), recovery with the uniform values kept, the magenta fallback for a file that never
// compiled, and the editor's atomic save.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "image/image_io.hpp"
#include "ui/commands.hpp"
#include "ui/gpu_engine.hpp"
#include "ui/headless.hpp"
#include "ui/shader_watch.hpp"

#include "../test_files.hpp"

using namespace qviz;
using namespace qviz::ui;
namespace fs = std::filesystem;

namespace {
HeadlessUi& workshopUi() {
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1280, 800);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}

struct Workdir {
  fs::path dir = qviz::test::scratchDir("qviz_ui_workshop", "work");
  ~Workdir() { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  void write(const std::string& name, const std::string& text) const { qviz::test::writeBumped(dir / name, text); }
};

// A gray ramp 0..255 across 256 x 8 pixels.
std::string rampImage(const Workdir& w) {
  core::Image img = core::Image::make(256, 8, 1, core::SampleType::U8);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 256; ++x) img.u8[std::size_t(y * 256 + x)] = std::uint8_t(x);
  const std::string p = w.path("ramp.png");
  REQUIRE(core::savePng(img, p).ok());
  return p;
}

// A user file whose every output is u_level (a slider), times 0.5 when the include says so.
std::string levelShader(const std::string& factor) {
  return "#include \"factor.glsl\"\n"
         "uniform float u_level; // @slider 0 1 0.5\n"
         "float userQuantize(float x, int bits) { return u_level * " + factor + "; }\n";
}

std::uint32_t firstSample(AppState& s) {
  auto img = s.derived.gpu->downloadQuantized();
  REQUIRE(img);
  return img->at(0, 0, 0);
}
}  // namespace

TEST_CASE("offscreen workshop: the user shader runs as a rounding mode, reloads, goes stale and recovers") {
  HeadlessUi& ui = workshopUi();
  Workdir w;
  w.write("factor.glsl", "float factor() { return 1.0; }\n");
  w.write("quantizer.glsl", levelShader("factor()"));
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  s.ui.open.shaders = true;
  s.doc.imagePath = rampImage(w);
  s.doc.userShaderFile = w.path("quantizer.glsl");
  s.doc.quant.rounding = core::Rounding::User;
  s.doc.path = ComputePath::Cpu;  // the user shader runs on the GPU whatever the path
  Commands cmd;
  REQUIRE(ui.run(s, cmd, 2));
  const QuantizedView& v = s.derived.view;
  CHECK(v.onGpu());
  CHECK(!v.fallback());
  CHECK(v.computedOn.rfind("GPU", 0) == 0);
  CHECK(firstSample(s) == 128);  // roundEven(0.5 * 255)
  // The controls come from the annotation.
  REQUIRE(s.derived.shaderWatch.controls.controls.size() == 1);
  CHECK(s.derived.shaderWatch.controls.controls[0].name == "u_level");

  // Moving the slider (a command) re-runs the shader with the value.
  cmd.edit("set u_level", [](Document& d) { d.userUniforms["u_level"] = 0.2; });
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(firstSample(s) == 51);  // 0.2 * 255
  const std::string program = s.derived.gpu->lastUserProgram();
  const gpu::ShaderEntry* e = s.derived.gpu->shaders().entry(program);
  REQUIRE(e);
  const auto generation = e->generation;

  // A good edit of the included file: a new generation, the value kept.
  w.write("factor.glsl", "float factor() { return 0.5; }\n");
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(e->generation == generation + 1);
  CHECK(firstSample(s) == 26);  // 0.2 * 0.5 * 255 = 25.5 -> 26 (half to even)

  // A typo on line 2 of the include: the last good program keeps running, the view is stale and
  // the error names the included file and line.
  w.write("factor.glsl", "float factor() {\n  return 0.25 +;\n}\n");
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(e->generation == generation + 1);
  CHECK(firstSample(s) == 26);
  const StaleInfo stale = staleShaders(s, imageViewPrograms(s));
  CHECK(stale.stale == std::vector<std::string>{program});
  CHECK(stale.firstError.rfind(w.path("factor.glsl") + ":2: error:", 0) == 0);
  bool noticed = false;
  for (const auto& n : s.ui.notices) noticed = noticed || (n.error && n.text.find("factor.glsl:2: error:") != std::string::npos);
  CHECK(noticed);

  // The fix recovers without a restart; the slider value is still 0.2.
  w.write("factor.glsl", "float factor() { return 0.25; }\n");
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(e->generation == generation + 2);
  CHECK(e->lastError.empty());
  CHECK(firstSample(s) == 13);  // 0.2 * 0.25 * 255 = 12.75
  CHECK(!staleShaders(s, imageViewPrograms(s)).any());
  CHECK(s.doc.userUniforms.at("u_level") == 0.2);
}

TEST_CASE("offscreen workshop: a user file that never compiled shows magenta, the CPU modes still work") {
  HeadlessUi& ui = workshopUi();
  Workdir w;
  w.write("broken.glsl", "float userQuantize(float x, int bits) {\n  return nope;\n}\n");
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  s.doc.imagePath = rampImage(w);
  s.doc.userShaderFile = w.path("broken.glsl");
  s.doc.quant.rounding = core::Rounding::User;
  Commands cmd;
  auto shot = ui.run(s, cmd, 2);
  REQUIRE(shot);
  CHECK(s.derived.view.fallback());
  std::size_t magenta = 0;
  for (std::size_t p = 0; p < shot->pixelCount(); ++p)
    magenta += shot->u8[p * 3] == 255 && shot->u8[p * 3 + 1] == 0 && shot->u8[p * 3 + 2] >= 200;
  CHECK(magenta > 1000);
  bool located = false;
  for (const auto& n : s.ui.notices) located = located || n.text.find(w.path("broken.glsl") + ":2: error:") != std::string::npos;
  CHECK(located);
  // Back to a built-in mode: a normal result.
  cmd.edit("nearest", [](Document& d) { d.quant.rounding = core::Rounding::Nearest; });
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(!s.derived.view.fallback());
  CHECK(s.derived.view.generation > 0);
}

// The shaders panel reads no file per frame: the editor learns of outside saves from the shader
// watch's poll (every 100 ms), and the diagnostics' source lines are read once per reported change.
TEST_CASE("offscreen workshop: the editor and the diagnostics follow the shader watch, not a per-frame read") {
  HeadlessUi& ui = workshopUi();
  Workdir w;
  w.write("factor.glsl", "float factor() { return 1.0; }\n");
  w.write("quantizer.glsl", levelShader("factor()"));
  AppState s;
  s.synchronous = false;  // the watch polls every 100 ms, as in the window
  s.ui.open = PanelOpen{};
  s.ui.open.shaders = true;
  s.doc.imagePath = rampImage(w);
  s.doc.userShaderFile = w.path("quantizer.glsl");
  s.doc.quant.rounding = core::Rounding::User;
  Commands cmd;
  REQUIRE(ui.run(s, cmd, 2));
  const ShaderEditor& e = s.ui.editor;
  CHECK(e.path == w.path("quantizer.glsl"));
  CHECK(e.text == levelShader("factor()"));
  auto holdPolls = [&] { s.derived.shaderWatch.lastPoll = std::chrono::steady_clock::now() + std::chrono::hours(1); };
  auto allowPoll = [&] { s.derived.shaderWatch.lastPoll = {}; };

  // An outside save while the watch does not poll: frames do not see it.
  holdPolls();
  w.write("quantizer.glsl", levelShader("0.5 * factor()"));
  REQUIRE(ui.run(s, cmd, 3));
  CHECK(e.text == levelShader("factor()"));
  CHECK(!e.changedOnDisk);
  // The watch's next poll brings it into the clean buffer.
  allowPoll();
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(e.text == levelShader("0.5 * factor()"));
  CHECK(e.savedText == e.text);
  CHECK(!e.changedOnDisk);

  // With unsaved edits the buffer stays and the panel says the file changed.
  s.ui.editor.text += "// mine\n";
  holdPolls();
  w.write("quantizer.glsl", levelShader("0.25 * factor()"));
  REQUIRE(ui.run(s, cmd, 2));
  CHECK(!e.changedOnDisk);
  allowPoll();
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(e.changedOnDisk);
  CHECK(e.text == levelShader("0.5 * factor()") + "// mine\n");
  CHECK(e.savedText == levelShader("0.5 * factor()"));

  // A broken include: its diagnostic shows line 2 of factor.glsl, read once and kept.
  s.ui.editor.text = e.savedText;
  w.write("factor.glsl", "float factor() {\n  return 0.25 +;\n}\n");
  allowPoll();
  REQUIRE(ui.run(s, cmd, 2));
  const auto it = e.sourceLines.find({w.path("factor.glsl"), 2});
  REQUIRE(it != e.sourceLines.end());
  CHECK(it->second == "  return 0.25 +;");
  // The file changes under the cached line; without a poll the panel keeps what it read ...
  holdPolls();
  w.write("factor.glsl", "float factor() {\n  return 0.5 +;\n}\n");
  REQUIRE(ui.run(s, cmd, 2));
  CHECK(e.sourceLines.at({w.path("factor.glsl"), 2}) == "  return 0.25 +;");
  // ... and the poll that reports the failed rebuild refreshes it.
  allowPoll();
  REQUIRE(ui.run(s, cmd, 1));
  CHECK(e.sourceLines.at({w.path("factor.glsl"), 2}) == "  return 0.5 +;");
}

TEST_CASE("workshop editor: saves atomically, a failed save keeps the file and says why") {
  Workdir w;
  AppState s;
  w.write("q.glsl", "// old\n");
  s.ui.editor.path = w.path("q.glsl");
  s.ui.editor.text = "// new\n";
  CHECK(saveUserShader(s, w.path("q.glsl"), s.ui.editor.text));
  std::ifstream in(w.path("q.glsl"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "// new\n");
  CHECK(s.ui.editor.savedText == "// new\n");
  // A folder that does not exist: nothing written, the notice says so.
  const std::string missing = w.path("no/such/dir/q.glsl");
  CHECK(!saveUserShader(s, missing, "// lost?\n"));
  REQUIRE(!s.ui.notices.empty());
  CHECK(s.ui.notices.back().error);
  CHECK(s.ui.notices.back().text.rfind("could not save " + missing + ": ", 0) == 0);
  CHECK(!fs::exists(missing));
  // No temporary files left next to the saved one.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(w.dir)) files += entry.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("offscreen: an image wider than the GPU's texture limit gets a downscaled preview and a notice") {
  HeadlessUi& ui = workshopUi();
  Workdir w;
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  Commands cmd;
  REQUIRE(ui.run(s, cmd, 1));  // makes the GPU engine, so the limit is known
  REQUIRE(s.derived.gpu);
  const int limit = s.derived.gpu->context().caps().maxTextureSize;
  REQUIRE(limit > 0);
  REQUIRE(limit < 32768);  // the loader's own limit per side
  const int width = limit + limit / 4, height = 8;
  core::Image img = core::Image::make(width, height, 1, core::SampleType::U8);
  for (std::size_t p = 0; p < img.pixelCount(); ++p) img.u8[p] = std::uint8_t(p % 251);
  const std::string path = w.path("wide.png");
  REQUIRE(core::savePng(img, path).ok());
  cmd.openImage(path);
  REQUIRE(ui.run(s, cmd, 2));
  CHECK(s.derived.image.width <= limit);
  CHECK(s.derived.image.width == width / 2);  // the smallest whole factor that fits
  CHECK(s.derived.image.height == height / 2);
  bool noticed = false;
  for (const auto& n : s.ui.notices)
    noticed = noticed || n.text.find("larger than this GPU's texture limit of " + std::to_string(limit)) != std::string::npos;
  CHECK(noticed);
  CHECK(s.derived.view.onGpu() == (s.doc.path != ComputePath::Cpu));
}
