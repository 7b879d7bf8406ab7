// The workshop user quantizer: annotation parsing, Rounding::User on both GPU paths against the CPU
// modes it re-implements, annotated uniform values, hot reload of the user file (generation, a broken
// edit keeping the last good program with the right file:line through an #include, recovery, values
// kept) and the reload debounce.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gpu/shader_annotations.hpp"
#include "gpu/uniform_kernel.hpp"
#include "gpu_fixture.hpp"

#include "../test_files.hpp"

using namespace qviz;
using namespace qviz::gpu;
using qviz::test::GpuFixture;
namespace fs = std::filesystem;

namespace {

// A copy of the project's shader tree in a temporary folder, with user files written into it.
struct ShaderTree {
  fs::path dir = qviz::test::scratchDir("qviz_test_user", "shaders");
  ShaderTree() { fs::copy(std::string(QVIZ_SOURCE_DIR) + "/shaders", dir, fs::copy_options::recursive); }
  ~ShaderTree() { fs::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) { qviz::test::writeBumped(dir / rel, text); }
};

core::Image testImage(int w, int h, int channels, core::SampleType type) {
  core::Image img = core::Image::make(w, h, channels, type);
  std::uint32_t state = 12345u;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        state = state * 1664525u + 1013904223u;
        img.setSample((std::size_t(y) * std::size_t(w) + std::size_t(x)) * std::size_t(channels) + std::size_t(c),
                      type == core::SampleType::U8 ? (state >> 24) : (state >> 16));
      }
  return img;
}

const char* kTruncate =
    "float userQuantize(float x, int bits) {\n"
    "  float steps = qv_levels(bits) - 1.0;\n"
    "  return floor(x * steps) / steps;\n"
    "}\n";

}  // namespace

TEST_CASE("annotations: sliders and toggles on uniform lines") {
  const std::string src =
      "uniform float u_gamma;  // @slider 0.2 4.0 1.0\n"
      "uniform int u_steps; // @slider 1 16 4\n"
      "uniform bool u_dither; // @toggle\n"
      "uniform bool u_on;//@toggle on\n"
      "uniform highp float u_f; // @slider -1 1 0.5f\n"
      "uniform uint u_n; // @slider 0 9 3\n"
      "float notAUniform; // just a comment @slider 1 2 3\n"
      "uniform float u_plain; // a plain comment\n";
  const AnnotationSet a = parseAnnotations(src, "q.glsl");
  CHECK(a.problems.empty());
  REQUIRE(a.controls.size() == 6);
  using K = UniformControl::Kind;
  CHECK(a.controls[0] == UniformControl{K::Slider, "u_gamma", "float", 0.2, 4.0, 1.0, 1});
  CHECK(a.controls[1] == UniformControl{K::Slider, "u_steps", "int", 1, 16, 4, 2});
  CHECK(a.controls[2] == UniformControl{K::Toggle, "u_dither", "bool", 0, 1, 0, 3});
  CHECK(a.controls[3] == UniformControl{K::Toggle, "u_on", "bool", 0, 1, 1, 4});
  CHECK(a.controls[4] == UniformControl{K::Slider, "u_f", "float", -1, 1, 0.5, 5});
  CHECK(a.controls[5] == UniformControl{K::Slider, "u_n", "uint", 0, 9, 3, 6});
}

TEST_CASE("annotations: malformed ones are warnings at their line and give no control") {
  const std::string src =
      "uniform float u_a; // @slider 1 2\n"           // 1: two numbers
      "uniform float u_b; // @slider 2 1 1.5\n"       // 2: min > max
      "uniform float u_c; // @slider 0 1 3\n"         // 3: default outside
      "uniform vec2 u_d; // @slider 0 1 0\n"          // 4: wrong type
      "uniform float u_e; // @toggle\n"               // 5: toggle on float
      "uniform int u_f; // @slider 0 1.5 1\n"         // 6: fraction on int
      "float u_g; // @slider 0 1 0\n"                 // 7: not a uniform
      "uniform float u_h; // @knob 0 1 0\n"           // 8: unknown tag
      "uniform float u_i; // @slider 0 nan 0\n"       // 9: not finite
      "uniform bool u_j; // @toggle maybe\n"          // 10: bad toggle value
      "uniform float u_k, u_l; // @slider 0 1 0\n"    // 11: two names
      "uniform float u_m; // @slider 0 1 0\n"         // 12: fine
      "uniform float u_m; // @slider 0 1 0\n";        // 13: duplicate
  const AnnotationSet a = parseAnnotations(src, "q.glsl");
  REQUIRE(a.controls.size() == 1);
  CHECK(a.controls[0].name == "u_m");
  std::vector<int> lines;
  for (const auto& p : a.problems) {
    CHECK(p.severity == "warning");
    CHECK(p.file == "q.glsl");
    lines.push_back(p.line);
  }
  CHECK(lines == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13});
  CHECK(formatDiagnostic(a.problems[0]) == "q.glsl:1: warning: @slider takes three numbers: MIN MAX DEFAULT");
  CHECK(parseAnnotations("", "e").controls.empty());
  CHECK(parseAnnotations("// @", "e").problems.size() == 1);
}

// kTruncate computed the shader's way in float32: x = v * f32(1/vmax), floor(x * steps) / steps,
// stored as roundEven(y * vmax). It differs from core's truncation (v * f32(steps/vmax)) only where
// the two float products fall on different sides of an integer, which happens at 16 bits.
std::uint32_t truncateLikeShader(std::uint32_t v, int bits, std::uint32_t vmax) {
  const volatile float inv = float(1.0 / double(vmax));
  const volatile float steps = float((1u << bits) - 1u);
  const volatile float x = float(v) * inv;
  const volatile float prod = x * steps;
  const volatile float y = std::floor(prod) / steps;
  const volatile float q = y * float(vmax);
  return std::uint32_t(std::nearbyint(q));
}

TEST_CASE_METHOD(GpuFixture, "user quantizer: a truncating user file equals Rounding::Truncate on both paths") {
  ShaderTree t;
  t.write("user/quantizer.glsl", kTruncate);
  ShaderLibrary lib(t.dir.string());
  UniformQuantizerGpu q(GpuEnv{&context(), &lib, {}});
  struct Case {
    int channels;
    core::SampleType type;
    int bits;
    bool gray;
  };
  for (const Case c : {Case{3, core::SampleType::U8, 3, false}, Case{4, core::SampleType::U8, 1, false},
                       Case{1, core::SampleType::U16, 11, false}, Case{3, core::SampleType::U8, 2, true}}) {
    const core::Image img = testImage(37, 11, c.channels, c.type);
    core::UniformSettings s;
    s.bits = c.bits;
    s.gray = c.gray;
    s.rounding = core::Rounding::Truncate;
    auto want = core::quantizeUniform(img, s);
    REQUIRE(want);
    if (c.type == core::SampleType::U16) {  // see truncateLikeShader
      std::size_t differ = 0;
      for (std::size_t i = 0; i < img.sampleCount(); ++i) {
        const std::uint32_t mirror = truncateLikeShader(img.sample(i), c.bits, 65535u);
        differ += mirror != want->sample(i);
        want->setSample(i, mirror);
      }
      CHECK(differ > 0);
    }
    s.rounding = core::Rounding::User;
    for (GpuPath path : {GpuPath::Compute, GpuPath::Fragment}) {
      INFO("channels " << c.channels << " bits " << c.bits << " gray " << c.gray << " path " << int(path));
      auto got = q.quantize(img, s, path);
      REQUIRE(got.error() == "");
      CHECK(got->sameShape(*want));
      CHECK(got->u8 == want->u8);
      CHECK(got->u16 == want->u16);
    }
  }
  CHECK(q.lastUserProgram() == "quantize_user.fragment.u8.c3.gray [user/quantizer.glsl]");
  checkClean("user truncate");
}

TEST_CASE_METHOD(GpuFixture, "user quantizer: annotated uniforms, defaults, values, NaN and the default user file") {
  ShaderTree t;
  t.write("user/quantizer.glsl",
          "uniform float u_level; // @slider 0 1 0.5\n"
          "uniform bool u_nan; // @toggle\n"
          "float userQuantize(float x, int bits) { return u_nan ? (x - x) / (x - x) : u_level; }\n");
  ShaderLibrary lib(t.dir.string());
  UniformQuantizerGpu q(GpuEnv{&context(), &lib, {}});
  const core::Image img = testImage(5, 3, 2, core::SampleType::U8);  // gray + alpha
  core::UniformSettings s;
  s.rounding = core::Rounding::User;
  auto controls = readUserControls(lib);
  REQUIRE(controls);
  REQUIRE(controls->controls.size() == 2);
  auto colour = [&](const core::Image& out) {
    std::vector<std::uint32_t> v;
    for (int y = 0; y < out.height; ++y)
      for (int x = 0; x < out.width; ++x) {
        v.push_back(out.at(x, y, 0));
        CHECK(out.at(x, y, 1) == img.at(x, y, 1));  // alpha passes through
      }
    return v;
  };
  auto got = q.quantize(img, s, GpuPath::Compute);
  REQUIRE(got.error() == "");
  CHECK(colour(*got) == std::vector<std::uint32_t>(15, 128));  // roundEven(0.5 * 255) = 128
  q.setUserShader({kUserQuantizerFile, {{"u_level", 0.25}}});
  got = q.quantize(img, s, GpuPath::Fragment);
  REQUIRE(got.error() == "");
  CHECK(colour(*got) == std::vector<std::uint32_t>(15, 64));  // roundEven(63.75)
  q.setUserShader({kUserQuantizerFile, {{"u_level", 7.0}}});  // clamped to the slider's max
  got = q.quantize(img, s, GpuPath::Compute);
  CHECK(colour(*got) == std::vector<std::uint32_t>(15, 255));
  q.setUserShader({kUserQuantizerFile, {{"u_nan", 1.0}}});
  got = q.quantize(img, s, GpuPath::Compute);
  CHECK(colour(*got) == std::vector<std::uint32_t>(15, 0));  // NaN gives 0
  checkClean("user uniforms");
}

TEST_CASE_METHOD(GpuFixture, "user quantizer: hot reload, a broken include keeps the last program, recovery, values kept") {
  ShaderTree t;
  t.write("user/helper.glsl", "float level() { return 0.5; }\n");
  t.write("user/quantizer.glsl",
          "#include \"helper.glsl\"\n"
          "uniform float u_scale; // @slider 0 2 1\n"
          "float userQuantize(float x, int bits) { return level() * u_scale; }\n");
  ShaderLibrary lib(t.dir.string());
  UniformQuantizerGpu q(GpuEnv{&context(), &lib, {}});
  q.setUserShader({kUserQuantizerFile, {{"u_scale", 0.5}}});
  const core::Image img = testImage(4, 4, 1, core::SampleType::U8);
  core::UniformSettings s;
  s.rounding = core::Rounding::User;
  auto first = [&] {
    auto r = q.quantize(img, s, GpuPath::Compute);
    REQUIRE(r.error() == "");
    return std::uint32_t(r->at(0, 0, 0));
  };
  CHECK(first() == 64);  // 0.5 * 0.5 * 255 = 63.75
  const ShaderEntry* e = lib.entry(q.lastUserProgram());
  REQUIRE(e);
  CHECK(e->generation == 1);

  t.write("user/helper.glsl", "float level() { return 1.0; }\n");
  CHECK(lib.reloadIfChanged().rebuilt == std::vector<std::string>{q.lastUserProgram()});
  CHECK(e->generation == 2);
  CHECK(first() == 128);  // 1.0 * 0.5: the new program with the value kept

  // A typo on line 2 of the included file: the previous program keeps running.
  t.write("user/helper.glsl", "float level() {\n  return 0.25 +;\n}\n");
  CHECK(lib.reloadIfChanged().failed == std::vector<std::string>{q.lastUserProgram()});
  CHECK(e->generation == 2);
  CHECK(first() == 128);
  INFO(e->lastError);
  CHECK(e->lastError.rfind((t.dir / "user/helper.glsl").string() + ":2: error:", 0) == 0);

  t.write("user/helper.glsl", "float level() { return 0.25; }\n");
  CHECK(lib.reloadIfChanged().rebuilt.size() == 1);
  CHECK(e->generation == 3);
  CHECK(e->lastError.empty());
  CHECK(first() == 32);  // 0.25 * 0.5 * 255 = 31.875

  // A user file that never compiled: the run fails with file:line and no program exists.
  ShaderTree broken;
  broken.write("user/quantizer.glsl", "float userQuantize(float x, int bits) {\n  return y;\n}\n");
  ShaderLibrary lib2(broken.dir.string());
  UniformQuantizerGpu q2(GpuEnv{&context(), &lib2, {}});
  auto r = q2.quantize(img, s, GpuPath::Compute);
  REQUIRE(!r);
  CHECK(r.error().rfind((broken.dir / "user/quantizer.glsl").string() + ":2: error:", 0) == 0);
  CHECK(lib2.program(q2.lastUserProgram()) == 0);
  (void)context().checkErrors("expected compile failure");
}

TEST_CASE_METHOD(GpuFixture, "shader library: the reload debounce waits for a fresh change to settle") {
  ShaderTree t;
  t.write("user/quantizer.glsl", kTruncate);
  ShaderLibrary lib(t.dir.string());
  lib.setDebounceMs(300);
  UniformQuantizerGpu q(GpuEnv{&context(), &lib, {}});
  core::UniformSettings s;
  s.rounding = core::Rounding::User;
  REQUIRE(q.quantize(testImage(2, 2, 1, core::SampleType::U8), s, GpuPath::Compute).error() == "");
  const ShaderEntry* e = lib.entry(q.lastUserProgram());
  // A save right now (mtime = now): the first poll waits, a poll after the debounce builds.
  std::ofstream(t.dir / "user/quantizer.glsl", std::ios::binary | std::ios::trunc) << kTruncate << "// edited\n";
  CHECK(lib.reloadIfChanged().rebuilt.empty());
  CHECK(e->generation == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  CHECK(lib.reloadIfChanged().rebuilt.size() == 1);
  CHECK(e->generation == 2);
  // Save by rename: the file is briefly missing; nothing is built until it is back.
  fs::rename(t.dir / "user/quantizer.glsl", t.dir / "user/quantizer.glsl.tmp");
  CHECK(lib.reloadIfChanged().failed.empty());
  fs::rename(t.dir / "user/quantizer.glsl.tmp", t.dir / "user/quantizer.glsl");
  std::ofstream(t.dir / "user/quantizer.glsl", std::ios::binary | std::ios::app) << "// again\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  CHECK(lib.reloadIfChanged().rebuilt.size() == 1);
  CHECK(e->generation == 3);
  CHECK(e->failedBuilds == 0);
}

TEST_CASE("user quantizer: annotations are not read from includes outside the shader folder", "[untrusted]") {
  // Issue 15.10: the annotation scan followed #include anywhere, so slider names of any file showed.
  ShaderTree t;
  const fs::path outside = t.dir.string() + "_outside.glsl";
  qviz::test::writeBumped(outside, "uniform float u_secret; // @slider 0 1 0.5\n");
  t.write("common/inside.glsl", "uniform float u_inside; // @slider 0 1 0.5\n");
  t.write("user/quantizer.glsl", "#include \"" + outside.string() + "\"\n#include \"../common/inside.glsl\"\n"
                                 "float userQuantize(float x, int bits) { return x; }\n");
  ShaderLibrary lib(t.dir.string());
  auto controls = readUserControls(lib);
  fs::remove(outside);
  REQUIRE(controls);
  REQUIRE(controls->controls.size() == 1);
  CHECK(controls->controls[0].name == "u_inside");
}
