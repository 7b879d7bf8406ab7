// The explorer without a window: commands and revisions, settings, and panels drawn offscreen on a
// headless EGL context (llvmpipe in CI), with the screenshots checked pixel by pixel.
#include <imgui.h>
#include <imgui_internal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "image/image_io.hpp"
#include "ui/commands.hpp"
#include "ui/frame.hpp"
#include "ui/headless.hpp"
#include "ui/panels.hpp"
#include "ui/qlora_session.hpp"
#include "ui/settings.hpp"
#include "ui/weights_model.hpp"
#include "../test_files.hpp"

using namespace qviz;
using namespace qviz::ui;
namespace fs = std::filesystem;

namespace {
std::string tempDir() {
  static const std::string dir = qviz::test::scratchDir("qviz_ui", "files");
  return dir;
}

// A solid-colour RGB image saved as PNG.
std::string solidImage(const std::string& name, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  core::Image img = core::Image::make(96, 64, 3, core::SampleType::U8);
  for (std::size_t p = 0; p < img.pixelCount(); ++p) {
    img.u8[p * 3] = r;
    img.u8[p * 3 + 1] = g;
    img.u8[p * 3 + 2] = b;
  }
  const std::string path = tempDir() + "/" + name;
  REQUIRE(core::savePng(img, path).ok());
  return path;
}

std::size_t countColour(const core::Image& shot, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  std::size_t n = 0;
  for (std::size_t p = 0; p < shot.pixelCount(); ++p)
    n += shot.u8[p * 3] == r && shot.u8[p * 3 + 1] == g && shot.u8[p * 3 + 2] == b;
  return n;
}

std::size_t distinctColours(const core::Image& shot) {
  std::map<std::uint32_t, int> seen;
  for (std::size_t p = 0; p < shot.pixelCount() && seen.size() < 1000; ++p)
    seen[std::uint32_t(shot.u8[p * 3]) << 16 | std::uint32_t(shot.u8[p * 3 + 1]) << 8 | shot.u8[p * 3 + 2]] = 1;
  return seen.size();
}

HeadlessUi& headless() {
  // One offscreen UI for the whole test run (a GL context and ImGui context are costly on llvmpipe).
  static std::unique_ptr<HeadlessUi> ui = [] {
    auto r = HeadlessUi::create(1280, 800);
    if (!r) FAIL("no headless GL context: " << r.error());
    return std::move(*r);
  }();
  return *ui;
}
}  // namespace

TEST_CASE("commands bump the revision only when they change the document") {
  AppState s;
  s.synchronous = true;
  Commands cmd;
  cmd.edit("set bits", [](Document& d) { d.quant.bits = 3; });
  cmd.edit("same bits", [](Document& d) { d.quant.bits = 3; });
  cmd.action("ui only", [](AppState& st) { st.ui.zoom = 2; });
  REQUIRE(cmd.size() == 3);
  CHECK(cmd.pending()[0].label == "set bits");
  CHECK(applyCommands(s, cmd) == 3);
  CHECK(s.revision == 1);
  CHECK(s.doc.quant.bits == 3);
  CHECK(s.ui.zoom == 2);
  CHECK(cmd.empty());
  for (int i = 0; i < 12; ++i) cmd.openImage("img" + std::to_string(i % 11) + ".png");
  cmd.openImage("img3.png");
  applyCommands(s, cmd);
  CHECK(s.doc.imagePath == "img3.png");
  CHECK(s.ui.recentFiles.size() == 10);
  CHECK(s.ui.recentFiles.front() == "img3.png");
  CHECK(std::count(s.ui.recentFiles.begin(), s.ui.recentFiles.end(), "img3.png") == 1);
}

TEST_CASE("settings round trip, and corrupt or foreign settings are ignored with a notice") {
  AppState a;
  a.doc.imagePath = "/tmp/x.png";
  a.doc.quant.bits = 5;
  a.doc.quant.rounding = core::Rounding::Stochastic;
  a.doc.quant.seed = 42;
  a.doc.levelDepths = {7, 5, 3, 2};
  a.ui.open.histogram = false;
  a.ui.open.concepts = true;
  a.ui.presenter = true;
  a.ui.fontScale = 2;
  a.ui.recentFiles = {"/tmp/x.png"};
  AppState b;
  CHECK(settingsFromJson(settingsToJson(a), b).empty());
  CHECK(b.doc == a.doc);
  CHECK(b.ui.open.histogram == false);
  CHECK(b.ui.open.concepts == true);
  CHECK(b.ui.presenter);
  CHECK(b.ui.fontScale == 2);
  CHECK(b.ui.recentFiles == a.ui.recentFiles);
  // The Document/UiState overloads (what the settings fuzzer drives) write and read the same text.
  CHECK(settingsToJson(a.doc, a.ui) == settingsToJson(a));
  Document d;
  UiState u;
  CHECK(settingsFromJson(settingsToJson(a), d, u).empty());
  CHECK(d == a.doc);
  CHECK(u.presenter);
  CHECK(u.open.concepts);
  // Bit dropping is saved by name and restored.
  a.doc.quant.rounding = core::Rounding::Drop;
  const std::string dropText = settingsToJson(a);
  CHECK(dropText.find("\"rounding\": \"drop\"") != std::string::npos);
  AppState e;
  CHECK(settingsFromJson(dropText, e).empty());
  CHECK(e.doc.quant.rounding == core::Rounding::Drop);
  CHECK(e.doc == a.doc);

  AppState c;
  CHECK(settingsFromJson("{not json", c) == "ignored the settings file: not QuantizationViz settings");
  CHECK(settingsFromJson("[1,2,3]", c) == "ignored the settings file: not QuantizationViz settings");
  CHECK(c.doc == Document{});
  const std::string msg = settingsFromJson(
      R"({"format":"qviz-settings","bits":99,"rounding":"sideways","seed":-1,"font_scale":"big","gray":true})", c);
  CHECK(msg == "ignored invalid settings: bits, rounding, seed, font_scale");
  CHECK(c.doc.quant.bits == Document{}.quant.bits);
  CHECK(c.doc.quant.gray);
}

TEST_CASE("settings save the whole Document: number line, weights, QLoRA, memory, user shader and uniforms") {
  AppState a;
  a.doc.lineGrid = core::LevelGrid::WithZero;
  a.doc.lineBits = 3;
  a.doc.lineValues = {-0.125, 0.3, 0.999, 1.0 / 3.0};
  a.doc.weights.source = WeightSource::File;
  a.doc.weights.size = 4096;
  a.doc.weights.seed = 4000000000u;
  a.doc.weights.path = "/data/model.safetensors";
  a.doc.weights.tensorName = "layers.0.q_proj.weight";
  a.doc.weights.format = core::TensorFormat::FP8E4M3;
  a.doc.weights.blocksize = 256;
  a.doc.weights.doubleQuant = true;
  a.doc.weights.block = 17;
  a.doc.lora.basePath = "/img/base.png";
  a.doc.lora.targetPath = "/img/target.png";
  a.doc.lora.rank = 16;
  a.doc.lora.alpha = 12.5f;
  a.doc.lora.rsLora = true;
  a.doc.lora.sgd = true;
  a.doc.lora.lr = 0.0123f;
  a.doc.lora.blocksize = 128;
  a.doc.lora.doubleQuant = true;
  a.doc.lora.seed = 77;
  a.doc.memory.preset = "llama-33b";
  a.doc.memory.rank = 128;
  a.doc.memory.targets = core::kTargetQ | core::kTargetV;
  a.doc.memory.optimizer = core::OptimizerKind::Adam8bit;
  a.doc.memory.paged = false;
  a.doc.memory.weightPrecision = core::Precision::FP16;
  a.doc.memory.adapterPrecision = core::Precision::FP32;
  a.doc.memory.mixedPrecision = false;
  a.doc.memory.upcast = core::Upcast::All;
  a.doc.memory.activations = core::ActivationModel::Gpt;
  a.doc.memory.batch = 4;
  a.doc.memory.seqLen = 2048;
  a.doc.memory.checkpointing = false;
  a.doc.memory.blocksize = 32;
  a.doc.memory.doubleQuant = false;
  a.doc.userShaderFile = "/home/me/q.glsl";
  a.doc.userUniforms = {{"u_level", 0.1}, {"u_steps", 7}, {"u_gamma", -2.5e-7}};
  const std::string text = settingsToJson(a);
  for (const char* part : {"\"number_line\"", "\"grid\": \"with-zero\"", "\"weights\"", "\"format\": \"fp8-e4m3\"",
                           "\"lora\"", "\"optimizer\": \"sgd\"", "\"memory\"", "\"preset\": \"llama-33b\"",
                           "\"targets\": \"q,v\"", "\"user_shader\"", "\"u_gamma\""})
    CHECK(text.find(part) != std::string::npos);
  AppState b;
  CHECK(settingsFromJson(text, b).empty());
  CHECK(b.doc == a.doc);
  CHECK(b.doc.lineValues == std::vector<double>{-0.125, 0.3, 0.999, 1.0 / 3.0});
  CHECK(b.doc.weights.seed == 4000000000u);
  CHECK(b.doc.lora.alpha == 12.5f);
  CHECK(b.doc.lora.lr == 0.0123f);
  CHECK(b.doc.memory.targets == (core::kTargetQ | core::kTargetV));
  CHECK(b.doc.userUniforms.at("u_gamma") == -2.5e-7);
  CHECK(settingsToJson(b) == text);

  // Invalid fields are skipped one by one and named; the rest of each section is read.
  AppState c;
  const std::string msg = settingsFromJson(R"({"format":"qviz-settings",
    "number_line": {"grid": "no-zero", "bits": 9, "values": [0.5, "x"]},
    "weights": {"format": "int4", "blocksize": 48, "size": 4096, "source": "gaussian"},
    "lora": {"rank": 65, "alpha": -1, "lr": 0.5, "optimizer": "sgd"},
    "memory": "big",
    "user_shader": {"file": "", "uniforms": {"u_a": 1, "2bad": 3}}})", c);
  CHECK(msg == "ignored invalid settings: number_line.bits, number_line.values, weights.source, weights.blocksize, "
               "lora.rank, lora.alpha, memory, user_shader.file, user_shader.uniforms");
  const Document defaults;
  CHECK(c.doc.lineBits == defaults.lineBits);
  CHECK(c.doc.lineValues == defaults.lineValues);
  CHECK(c.doc.weights.format == core::TensorFormat::Int4);
  CHECK(c.doc.weights.size == 4096);
  CHECK(c.doc.weights.blocksize == defaults.weights.blocksize);
  CHECK(c.doc.weights.source == defaults.weights.source);
  CHECK(c.doc.lora.rank == defaults.lora.rank);
  CHECK(c.doc.lora.alpha == defaults.lora.alpha);
  CHECK(c.doc.lora.lr == 0.5f);
  CHECK(c.doc.lora.sgd);
  CHECK(c.doc.memory == defaults.memory);
  CHECK(c.doc.userShaderFile == defaults.userShaderFile);
  CHECK(c.doc.userUniforms.empty());
  // An older settings file without the sections keeps every default.
  AppState old;
  CHECK(settingsFromJson(R"({"format":"qviz-settings","version":1,"bits":3})", old).empty());
  CHECK(old.doc.memory == defaults.memory);
  CHECK(old.doc.weights == defaults.weights);
  CHECK(old.doc.lora == defaults.lora);
  CHECK(old.doc.lineValues == defaults.lineValues);
}

TEST_CASE("offscreen: the image panel shows the exact quantized pixels") {
  HeadlessUi& ui = headless();
  INFO("renderer: " << ui.renderer());
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = solidImage("solid.png", 200, 100, 50);
  s.doc.quant.bits = 1;
  s.ui.open = PanelOpen{};
  s.ui.open.metrics = s.ui.open.histogram = false;
  Commands cmd;
  const auto shot = ui.run(s, cmd, 3).value();
  // 1 bit, nearest: 200 -> 255, 100 -> 0, 50 -> 0. Both views are drawn with nearest filtering.
  CHECK(countColour(shot, 255, 0, 0) > 2000);
  CHECK(countColour(shot, 200, 100, 50) > 2000);
  CHECK(s.derived.view.metrics.levelsUsed == 2);
  // 2 bits: 200 -> 170, 100 -> 85, 50 -> 85.
  cmd.edit("bits", [](Document& d) { d.quant.bits = 2; });
  const auto shot2 = ui.run(s, cmd, 2).value();
  CHECK(countColour(shot2, 170, 85, 85) > 2000);
  CHECK(countColour(shot2, 255, 0, 0) == 0);
}

TEST_CASE("offscreen: every panel opens, draws and closes") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  // The table is panelInfos() in the same order, each with its draw function.
  REQUIRE(panelTable().size() == panelInfos().size());
  REQUIRE(panelTable().size() == 13);
  for (std::size_t i = 0; i < panelInfos().size(); ++i) {
    CHECK(std::string(panelTable()[i].name) == panelInfos()[i].name);
    CHECK(panelTable()[i].open == panelInfos()[i].open);
    CHECK(panelTable()[i].draw != nullptr);
  }
  for (const PanelEntry& p : panelTable()) {
    s.ui.open = PanelOpen{};
    s.ui.open.image = false;
    s.ui.open.metrics = s.ui.open.histogram = false;
    s.ui.open.*(p.open) = true;
    const auto shot = ui.run(s, cmd, 2).value();
    INFO(p.name);
    const ImGuiWindow* w = ImGui::FindWindowByName(p.title);
    REQUIRE(w != nullptr);
    CHECK(w->Active);
    CHECK(distinctColours(shot) > 20);  // not blank
    s.ui.open.*(p.open) = false;
    (void)ui.run(s, cmd, 1).value();
    CHECK(!ImGui::FindWindowByName(p.title)->Active);
  }
}

TEST_CASE("offscreen: a broken image gives a notice and keeps the open one") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  (void)ui.run(s, cmd, 1).value();
  REQUIRE(s.derived.image.width == 451);
  const std::string bad = tempDir() + "/broken.png";
  { std::FILE* f = std::fopen(bad.c_str(), "wb"); std::fputs("\x89PNG\r\n\x1a\nbroken", f); std::fclose(f); }
  cmd.openImage(bad);
  (void)ui.run(s, cmd, 2).value();
  CHECK(s.derived.image.width == 451);
  CHECK(s.doc.imagePath == std::string(QVIZ_TEST_DATA) + "/chelsea.png");
  REQUIRE(!s.ui.notices.empty());
  bool found = false;
  for (const auto& n : s.ui.notices) found = found || (n.error && n.text.find("could not decode " + bad) != std::string::npos);
  CHECK(found);
}

TEST_CASE("offscreen: presenter mode rebuilds the font at twice the size") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  (void)ui.run(s, cmd, 1).value();
  const float normal = ImGui::GetFontSize();
  s.ui.presenter = true;
  s.ui.fontScale = 2.0f;
  (void)ui.run(s, cmd, 1).value();
  CHECK(ImGui::GetFontSize() == Approx(normal * 2));
  s.ui.fontScale = 1.0f;
  (void)ui.run(s, cmd, 1).value();
  CHECK(ImGui::GetFontSize() == Approx(normal));
}

TEST_CASE("offscreen: the QLoRA panel trains an adapter towards the SVD floor and shows every tile") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  s.ui.open.image = s.ui.open.metrics = s.ui.open.histogram = false;
  s.ui.open.qlora = true;
  s.doc.lora.basePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.lora.targetPath = std::string(QVIZ_TEST_DATA) + "/astronaut.png";
  Commands cmd;
  (void)ui.run(s, cmd, 1).value();
  REQUIRE(s.derived.qlora);
  s.derived.qlora->runSteps(200);  // as --lora-steps 200 does (app/drive/script.cpp)
  const auto shot = ui.run(s, cmd, 1).value();
  QloraSession& q = *s.derived.qlora;
  REQUIRE(q.ready());
  CHECK(q.steps() == 200);
  CHECK(q.rows() == 300);
  CHECK(q.cols() == 451);
  const auto history = q.lossHistory();
  REQUIRE(history.size() == 201);
  CHECK(history.back() < history.front() * 0.5);
  CHECK(q.loss() >= q.floor());
  CHECK(core::loraGapPercent(q.loss(), q.floor()) < 5.0);
  const QloraTiles& t = s.derived.qloraTiles;
  for (const DisplayTexture* tex : {&t.base, &t.frozen, &t.quantError, &t.delta, &t.adapted, &t.target, &t.svd, &t.merged}) {
    CHECK(tex->valid());
    CHECK(tex->width() == 451);
  }
  CHECK(t.mergedLoss >= t.adaptedLoss);
  // The 16-bit merge is a different model from the trained one, with its own loss on the panel.
  CHECK(t.merged16Loss > 0);
  CHECK(t.merged16Loss != t.adaptedLoss);
  // PEFT's trainable share: 8 (300 + 451) x 3 / (that + 300 x 451 x 3).
  CHECK(q.counts().trainablePercent() == 100.0 * 18024 / (18024 + 405900));
  CHECK(distinctColours(shot) > 100);
  // A new rank recreates the trainer at step 0 without rebuilding the problem.
  cmd.edit("rank", [](Document& d) { d.lora.rank = 4; });
  (void)ui.run(s, cmd, 1).value();
  CHECK(q.rank() == 4);
  CHECK(q.steps() == 0);
}

TEST_CASE("offscreen: the QLoRA buttons go through Commands, applied to the session at the next frame") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  Commands cmd;
  // No session yet: the commands do nothing.
  cmd.lora(Commands::Lora::Start);
  REQUIRE(cmd.pending().size() == 1);
  CHECK(cmd.pending()[0].label == "lora start");
  CHECK(applyCommands(s, cmd) == 1);
  CHECK(!s.derived.qlora);
  s.ui.open = PanelOpen{};
  s.ui.open.image = s.ui.open.metrics = s.ui.open.histogram = false;
  s.ui.open.qlora = true;
  s.doc.lora.basePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.lora.targetPath = std::string(QVIZ_TEST_DATA) + "/astronaut.png";
  (void)ui.run(s, cmd, 1).value();
  REQUIRE(s.derived.qlora);
  s.derived.qlora->runSteps(3);
  QloraSession& q = *s.derived.qlora;
  REQUIRE(q.ready());
  CHECK(q.steps() == 3);
  cmd.lora(Commands::Lora::Start);
  CHECK(!q.running());  // queued, not applied
  (void)ui.run(s, cmd, 1).value();
  CHECK(q.running());
  cmd.lora(Commands::Lora::Pause);
  (void)ui.run(s, cmd, 1).value();
  CHECK(!q.running());
  cmd.lora(Commands::Lora::Reset);
  (void)ui.run(s, cmd, 1).value();
  CHECK(q.steps() == 0);
}

TEST_CASE("offscreen: GPU vs CPU finds no mismatch, on both GPU paths") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  s.ui.open.metrics = s.ui.open.histogram = false;
  s.ui.open.compare = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  for (ComputePath path : {ComputePath::GpuCompute, ComputePath::GpuFragment})
    for (auto rounding : {core::Rounding::Nearest, core::Rounding::Stochastic, core::Rounding::Seed, core::Rounding::Drop}) {
      cmd.edit("settings", [path, rounding](Document& d) {
        d.path = path;
        d.quant.rounding = rounding;
        d.quant.bits = 3;
      });
      (void)ui.run(s, cmd, 2).value();
      INFO(computePathName(path) << " " << core::roundingName(rounding));
      REQUIRE(s.derived.view.onGpu());
      REQUIRE(s.derived.compare.result.has_value());
      CHECK(s.derived.compare.result->error.empty());
      CHECK(s.derived.compare.result->samples == 451u * 300u * 3u);
      CHECK(s.derived.compare.result->mismatches == 0);
      CHECK(s.derived.compare.diff.valid());
    }
  // The GPU metrics equal the CPU metrics of the same quantization.
  const core::Image ref = s.derived.view.reference;
  core::UniformSettings q = s.doc.quant;
  const core::Image cpu = core::quantizeUniform(ref, q).value();
  const core::ImageMetrics m = core::computeMetrics(ref, ref, cpu, q);
  CHECK(s.derived.view.metrics.mse == m.mse);
  CHECK(s.derived.view.metrics.levelsUsed == m.levelsUsed);
  CHECK(std::abs(*s.derived.view.metrics.ssim - *m.ssim) <= 1e-5);
}

// The window's loop sleeps until an event; a background result must post one (the wake) or
// "running on a worker..." stays on screen until the user moves the mouse. Here: no frames and no
// input after the work is handed over, only a wait for the wake, then the one frame it causes.
TEST_CASE("offscreen: background results wake an idle window (GPU vs CPU compare, QLoRA session)") {
  HeadlessUi& ui = headless();
  std::mutex mutex;
  std::condition_variable woken;
  int wakes = 0;
  auto waitForWake = [&](int atLeast) {
    std::unique_lock lock(mutex);
    return woken.wait_for(lock, std::chrono::seconds(120), [&] { return wakes >= atLeast; });
  };
  AppState s;
  s.synchronous = false;  // as in the window: results arrive on later frames
  s.derived.setWake([&] {
    std::lock_guard lock(mutex);
    ++wakes;
    woken.notify_all();
  });
  s.ui.open = PanelOpen{};
  s.ui.open.metrics = s.ui.open.histogram = false;
  s.ui.open.compare = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.path = ComputePath::GpuCompute;
  s.doc.quant.bits = 3;
  Commands cmd;
  (void)ui.run(s, cmd, 1).value();
  REQUIRE(s.derived.view.onGpu());
  REQUIRE(s.derived.compare.pending);  // the CPU reference runs on the compare worker
  REQUIRE(waitForWake(1));
  CHECK(s.derived.compare.pending);    // nothing drawn since: only the wake says it is done
  (void)ui.run(s, cmd, 1).value();
  CHECK(!s.derived.compare.pending);
  REQUIRE(s.derived.compare.result.has_value());
  CHECK(s.derived.compare.result->error.empty());
  CHECK(s.derived.compare.result->samples == 451u * 300u * 3u);
  CHECK(s.derived.compare.result->mismatches == 0);

  // The QLoRA session made later gets the same wake: its built problem shows without input.
  s.ui.open.compare = false;
  s.ui.open.qlora = true;
  s.doc.lora.basePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.lora.targetPath = std::string(QVIZ_TEST_DATA) + "/astronaut.png";
  const int before = [&] {
    std::lock_guard lock(mutex);
    return wakes;
  }();
  (void)ui.run(s, cmd, 1).value();
  REQUIRE(s.derived.qlora);
  REQUIRE(waitForWake(before + 1));
  (void)ui.run(s, cmd, 1).value();
  REQUIRE(s.derived.qlora->ready());
  CHECK(s.derived.qloraTiles.base.valid());
  CHECK(s.derived.qloraTiles.base.width() == 451);
  CHECK(s.derived.qloraTiles.target.valid());
  s.derived.setWake({});
  s.derived.qlora.reset();
}

TEST_CASE("offscreen: Derived::releaseGl deletes every GL object the caches own, the compare texture included") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.ui.open = PanelOpen{};
  s.ui.open.compare = s.ui.open.levels = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.path = ComputePath::GpuCompute;
  Commands cmd;
  (void)ui.run(s, cmd, 2).value();
  REQUIRE(s.derived.view.original.valid());
  REQUIRE(s.derived.compare.diff.valid());
  REQUIRE(s.derived.levels.size() == 4);
  REQUIRE(s.derived.gpu);
  s.derived.releaseGl();
  CHECK(!s.derived.view.original.valid());
  CHECK(!s.derived.view.result.valid());
  CHECK(!s.derived.compare.diff.valid());
  CHECK(!s.derived.compare.result.has_value());
  CHECK(s.derived.levels.empty());
  CHECK(!s.derived.qloraTiles.base.valid());
  CHECK(!s.derived.gpu);
  // The caches rebuild on the next frame.
  (void)ui.run(s, cmd, 2).value();
  CHECK(s.derived.view.original.valid());
  CHECK(s.derived.compare.diff.valid());
  CHECK(s.derived.levels.size() == 4);
  CHECK(s.derived.levels[0].texture.valid());
}

TEST_CASE("offscreen: exports at native resolution equal the CPU reference and never replace the input") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.ui.open.levels = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  s.doc.quant.bits = 2;
  Commands cmd;
  (void)ui.run(s, cmd, 2).value();
  const std::string dir = tempDir();
  const core::Image original = core::loadImage(s.doc.imagePath).value();
  const core::Image expect = core::quantizeUniform(original, s.doc.quant).value();
  for (ComputePath path : {ComputePath::GpuCompute, ComputePath::Cpu}) {
    cmd.edit("path", [path](Document& d) { d.path = path; });
    (void)ui.run(s, cmd, 1).value();
    const std::string out = dir + "/q_" + computePathName(path) + ".png";
    exportView(s, "quantized", out);
    CHECK(core::loadImage(out).value() == expect);
  }
  exportView(s, "levels", dir + "/levels.png");
  const core::Image levels = core::loadImage(dir + "/levels.png").value();
  CHECK(levels.width == 451 * 5);
  CHECK(levels.height > 300);
  exportView(s, "error", dir + "/error.png");
  CHECK(core::loadImage(dir + "/error.png").value().width == 451);
  // The input is refused as an output, with a notice.
  const auto before = s.ui.notices.size();
  exportView(s, "quantized", s.doc.imagePath);
  CHECK(core::loadImage(s.doc.imagePath).value() == original);
  REQUIRE(s.ui.notices.size() > before - (before == 6 ? 1 : 0));
  CHECK(s.ui.notices.back().error);
  CHECK(s.ui.notices.back().text.find("refusing to overwrite") != std::string::npos);
}

TEST_CASE("offscreen: exports refuse every file the explorer reads, not only the image") {
  HeadlessUi& ui = headless();
  AppState s;
  s.synchronous = true;
  s.doc.imagePath = std::string(QVIZ_TEST_DATA) + "/chelsea.png";
  Commands cmd;
  (void)ui.run(s, cmd, 2).value();
  // A shader folder of the user's, as --shader-dir sets it (no frame runs while it is set).
  const std::string dir = tempDir() + "/export_guard";
  std::filesystem::create_directories(dir + "/user");
  const std::string shader = dir + "/user/quantizer.glsl";
  const std::string text = "float userQuantize(float x, uint bits) { return x; }\n";
  std::ofstream(shader, std::ios::binary) << text;
  const char* old = std::getenv("QVIZ_SHADER_DIR");
  const std::string saved = old ? old : "";
  ::setenv("QVIZ_SHADER_DIR", dir.c_str(), 1);
  const auto inputs = explorerInputs(s);
  CHECK(std::find(inputs.begin(), inputs.end(), shader) != inputs.end());
  CHECK(std::find(inputs.begin(), inputs.end(), configDir() + "/settings.json") != inputs.end());
  for (const char* what : {"quantized", "original", "error"}) {
    exportView(s, what, shader);
    REQUIRE(!s.ui.notices.empty());
    CHECK(s.ui.notices.back().error);
    CHECK(s.ui.notices.back().text.find("refusing to overwrite") != std::string::npos);
  }
  if (old) ::setenv("QVIZ_SHADER_DIR", saved.c_str(), 1); else ::unsetenv("QVIZ_SHADER_DIR");
  std::ifstream in(shader, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == text);
}

TEST_CASE("the memory panel starts from qlora.py's settings, as qviz memory --qlora-py does") {
  const MemoryDoc m;
  const core::MemorySettings q = core::qloraPySettings();
  CHECK(m.preset == "llama-7b");
  CHECK(m.rank == q.rank);
  CHECK(m.targets == q.targets);
  CHECK(m.optimizer == q.optimizer);
  CHECK(m.paged == q.paged);
  CHECK(m.weightPrecision == q.weightPrecision);
  CHECK(m.adapterPrecision == q.adapterPrecision);
  CHECK(m.mixedPrecision == q.mixedPrecision);
  CHECK(m.upcast == q.upcast);
  CHECK(m.activations == q.activations);
  CHECK(m.batch == q.batch);
  CHECK(m.seqLen == q.seqLen);
  CHECK(m.checkpointing == q.checkpointing);
  CHECK(m.blocksize == q.nf4Blocksize);
  CHECK(m.doubleQuant == q.doubleQuant);
}

TEST_CASE("weights view: the level use shown is the core's count over the whole tensor") {
  WeightsDoc doc;  // normal, 65536 values, seed 1, NF4, blocksize 64
  WeightsView view;
  updateWeightsView(doc, view);
  REQUIRE(view.error.empty());
  const auto x = syntheticWeights(WeightSource::Normal, 65536, 1);
  const auto q = core::quantizeBlockwise(x.data(), x.size(), {core::TensorFormat::NF4, 64, false}).value();
  CHECK(view.codeUse.counts == core::codeUse(q).counts);
  CHECK(view.codeUse.total == 65536);
  // Far from 1/16 each: the ends hold little more than the 1024 block maxima.
  CHECK(view.codeUse.counts[0] + view.codeUse.counts[15] >= 1024);
  CHECK(view.codeUse.fraction(15) < 0.02);
  CHECK(view.codeUse.fraction(6) > 0.09);
}
