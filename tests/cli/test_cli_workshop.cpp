// The real `qviz` binary for the workshop: `workshop init` (the shader tree and the starters, never
// the solutions, never over existing files), `workshop check` (every starter fails, every solution
// passes, one exercise by number or name, a starter that does not build), and `render --rounding
// user` (exact pixels, equal to the built-in truncation, --uniform, file:line errors through
// includes, the CPU refusing it). GPU runs use llvmpipe through EGL.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"
#include "image/image_io.hpp"

using namespace qviz::test;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
const std::vector<std::string> kExercises = {"01-truncate", "02-stochastic", "03-mulaw", "04-nf4", "05-dither"};

std::vector<std::string> gpuEnv() {
  return {"LIBGL_ALWAYS_SOFTWARE=1", "GALLIUM_DRIVER=llvmpipe",
          std::string("MESA_SHADER_CACHE_DIR=") + QVIZ_WORK_DIR + "/mesa_cache_workshop"};
}
std::string assets() { return std::string(QVIZ_SOURCE_DIR) + "/assets/workshop"; }
std::string solution(const std::string& id) { return assets() + "/solutions/" + id + ".glsl"; }
std::string exercise(const std::string& dir, const std::string& id) { return dir + "/exercises/" + id + "/quantizer.glsl"; }

// A fresh workshop folder made by `qviz workshop init`.
std::string initWorkshop(const std::string& name) {
  const std::string dir = freshDir(name) + "/ws";
  const auto r = runQviz({"workshop", "init", dir});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  return dir;
}
std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }
std::size_t lineCount(const std::string& text) { return std::size_t(std::count(text.begin(), text.end(), '\n')); }
}  // namespace

TEST_CASE("workshop init: the shader tree, the starters and READMEs, no solutions, never over existing files") {
  const std::string dir = freshDir("ws_init") + "/ws";
  const auto r = runQviz({"workshop", "init", dir});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("qviz --shader-dir " + dir) != std::string::npos);
  CHECK(r.out.find("qviz workshop check " + dir) != std::string::npos);
  // Every shader file, byte for byte.
  const std::string shaders = std::string(QVIZ_SOURCE_DIR) + "/shaders";
  std::size_t count = 0;
  for (const auto& f : fs::recursive_directory_iterator(shaders)) {
    if (!f.is_regular_file()) continue;
    const std::string rel = fs::relative(f.path(), shaders).string();
    INFO(rel);
    CHECK(readText(dir + "/" + rel) == readText(f.path().string()));
    ++count;
  }
  CHECK(count >= 20);
  CHECK(fileExists(dir + "/quantize_user.comp"));
  CHECK(fileExists(dir + "/common/user_api.glsl"));
  CHECK(fileExists(dir + "/user/quantizer.glsl"));
  CHECK(readText(dir + "/exercises/README.md") == readText(assets() + "/README.md"));
  for (const auto& id : kExercises) {
    INFO(id);
    CHECK(readText(exercise(dir, id)) == readText(assets() + "/" + id + "/starter.glsl"));
    CHECK(readText(dir + "/exercises/" + id + "/README.md") == readText(assets() + "/" + id + "/README.md"));
  }
  // No solution anywhere: no folder of that name, no file with a solution's text.
  std::vector<std::string> solutions;
  for (const auto& id : kExercises) solutions.push_back(readText(solution(id)));
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    INFO(f.path().string());
    CHECK(f.path().filename() != "solutions");
    if (f.is_regular_file())
      for (const auto& s : solutions) CHECK(readText(f.path().string()) != s);
  }

  // A second init into the same folder: exit 2, one line, nothing touched.
  writeBytes(exercise(dir, "01-truncate"), "// my work\n");
  const auto again = runQviz({"workshop", "init", dir});
  CHECK(again.exitCode == 2);
  CHECK(again.err == "qviz workshop: error: " + dir + " is not empty; workshop init never overwrites files (choose a new folder)\n");
  CHECK(readText(exercise(dir, "01-truncate")) == "// my work\n");
  // An existing empty folder is fine; a file is not.
  const std::string empty = freshDir("ws_init_empty");
  CHECK(runQviz({"workshop", "init", empty}).exitCode == 0);
  CHECK(fileExists(exercise(empty, "05-dither")));
  const auto onFile = runQviz({"workshop", "init", dir + "/exercises/README.md"});
  CHECK(onFile.exitCode == 2);
  CHECK(lineCount(onFile.err) == 1);
}

TEST_CASE("workshop check: every starter fails, with the count and the first differing sample") {
  const std::string dir = initWorkshop("ws_check_starters");
  const auto r = runQviz({"workshop", "check", dir}, gpuEnv());
  INFO(r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.err.empty());
  // 01, 02, 04 and 05 are exact integer decisions; 03's log/pow results are the llvmpipe ones.
  CHECK(r.out ==
        "FAIL 01-truncate: 1310432 of 3194880 samples differ (first at x=1 y=0 channel 1, input 254: got 255, want 0; bits 1, image gradient)\n"
        "FAIL 02-stochastic: 690087 of 3194880 samples differ (first at x=13 y=0 channel 0, input 13: got 0, want 255; bits 1, image gradient)\n"
        "FAIL 03-mulaw: 1944104 of 2396160 samples differ by more than 1 (first at x=2 y=0 channel 0, input 2: got 0, want 5; bits 2, image gradient)\n"
        "FAIL 04-nf4: 1301558 of 1597440 samples differ (first at x=9 y=0 channel 0, input 9: got 17, want 0; bits 2, image gradient)\n"
        "FAIL 05-dither: 518114 of 2396160 samples differ (first at x=8 y=0 channel 1, input 247: got 255, want 0; bits 1, image gradient)\n"
        "0 of 5 exercises pass\n");
}

TEST_CASE("workshop check: the reference solutions copied over the starters pass") {
  const std::string dir = initWorkshop("ws_check_solutions");
  for (const auto& id : kExercises) writeBytes(exercise(dir, id), readText(solution(id)));
  const auto r = runQviz({"workshop", "check", dir}, gpuEnv());
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out ==
        "PASS 01-truncate\nPASS 02-stochastic\nPASS 03-mulaw\nPASS 04-nf4\nPASS 05-dither\n"
        "5 of 5 exercises pass\n");
}

TEST_CASE("workshop check DIR EXERCISE checks only that one, by number or name") {
  const std::string dir = initWorkshop("ws_check_one");
  writeBytes(exercise(dir, "03-mulaw"), readText(solution("03-mulaw")));
  for (const char* key : {"03", "3", "03-mulaw", "mulaw"}) {
    const auto r = runQviz({"workshop", "check", dir, key}, gpuEnv());
    INFO(key << ": " << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.out == "PASS 03-mulaw\n");
  }
  const auto other = runQviz({"workshop", "check", dir, "01"}, gpuEnv());
  CHECK(other.exitCode == 1);
  CHECK(other.out.rfind("FAIL 01-truncate: ", 0) == 0);
  CHECK(lineCount(other.out) == 1);
  // --file: another file checked as one exercise (the explorer's user/quantizer.glsl, say).
  writeBytes(dir + "/user/quantizer.glsl", readText(solution("05-dither")));
  const auto file = runQviz({"workshop", "check", dir, "dither", "--file", dir + "/user/quantizer.glsl"}, gpuEnv());
  INFO(file.err);
  CHECK(file.exitCode == 0);
  CHECK(file.out == "PASS 05-dither\n");
  CHECK(runQviz({"workshop", "check", dir, "--file", dir + "/user/quantizer.glsl"}, gpuEnv()).exitCode == 2);
  const auto none = runQviz({"workshop", "check", dir, "9"}, gpuEnv());
  CHECK(none.exitCode == 2);
  CHECK(none.err == "qviz workshop: error: no exercise '9' (01-truncate, 02-stochastic, 03-mulaw, 04-nf4, 05-dither)\n");
}

TEST_CASE("workshop check: a file that does not build fails with file:line, a missing one fails, a bad DIR is exit 2") {
  const std::string dir = initWorkshop("ws_check_broken");
  const std::string file = exercise(dir, "02-stochastic");
  std::string text = readText(file);
  const auto at = text.find("  float u = 0.5;");
  REQUIRE(at != std::string::npos);
  text.replace(at, 16, "  float u = 0.5 +;");
  writeBytes(file, text);
  const int line = lineOf(file, "0.5 +;");
  fs::remove(exercise(dir, "04-nf4"));
  for (const auto& id : {"01-truncate", "03-mulaw", "05-dither"}) writeBytes(exercise(dir, id), readText(solution(id)));
  const auto r = runQviz({"workshop", "check", dir}, gpuEnv());
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  const std::string broken = "FAIL 02-stochastic: the shader does not build:\n" + file + ":" + std::to_string(line) + ": error: ";
  CHECK(r.out.find("PASS 01-truncate\n" + broken) == 0);
  CHECK(r.out.find("FAIL 04-nf4: " + exercise(dir, "04-nf4") + " is missing\n") != std::string::npos);
  CHECK(r.out.find("PASS 03-mulaw\n") != std::string::npos);
  CHECK(r.out.find("PASS 05-dither\n") != std::string::npos);
  CHECK(r.out.find("3 of 5 exercises pass\n") != std::string::npos);

  const std::string missing = freshDir("ws_check_bad") + "/nope";
  const auto noDir = runQviz({"workshop", "check", missing}, gpuEnv());
  CHECK(noDir.exitCode == 2);
  CHECK(noDir.err == "qviz workshop: error: " + missing + " is not a folder (make one with: qviz workshop init " + missing + ")\n");
  const auto notWorkshop = runQviz({"workshop", "check", freshDir("ws_check_bad")}, gpuEnv());
  CHECK(notWorkshop.exitCode == 2);
  CHECK(lineCount(notWorkshop.err) == 1);
  CHECK(runQviz({"workshop"}).exitCode == 2);
  CHECK(runQviz({"workshop", "check"}).exitCode == 2);
}

TEST_CASE("render --rounding user: exact pixels from qv_pixel and qv_channel on both GPU paths, alpha kept") {
  const std::string dir = freshDir("ws_render_pixels");
  qviz::core::Image img = qviz::core::Image::make(3, 2, 4, qviz::core::SampleType::U8);
  for (std::size_t i = 0; i < img.u8.size(); ++i) img.u8[i] = std::uint8_t(200 + i);
  REQUIRE(qviz::core::savePng(img, dir + "/in.png"));
  writeBytes(dir + "/probe.glsl",
             "// The sample is 10 x + 100 y + channel: shows the pipeline's pixel and channel numbering.\n"
             "float userQuantize(float x, int bits) {\n"
             "  return float(qv_pixel.x * 10u + qv_pixel.y * 100u + qv_channel) / 255.0;\n"
             "}\n");
  for (const char* path : {"compute", "fragment"}) {
    const auto r = runQviz({"render", dir + "/in.png", "--bits", "2", "--rounding", "user", "--backend", "gpu", "--gpu-path", path,
                            "--user-shader", dir + "/probe.glsl", "--out", dir + "/out.png"},
                           gpuEnv());
    INFO(path << ": " << r.err);
    REQUIRE(r.exitCode == 0);
    auto out = qviz::core::loadImage(dir + "/out.png");
    REQUIRE(out);
    REQUIRE(out->sameShape(img));
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) {
        for (int c = 0; c < 3; ++c) CHECK(out->at(x, y, c) == std::uint32_t(10 * x + 100 * y + c));
        CHECK(out->at(x, y, 3) == img.at(x, y, 3));
      }
  }
}

TEST_CASE("render --rounding user with the truncation solution equals --rounding truncate byte for byte") {
  const std::string dir = freshDir("ws_render_truncate");
  const auto builtin = runQviz({"render", dataPath("chelsea.png"), "--bits", "4,3,2,1", "--rounding", "truncate", "--out", dir + "/t.png"});
  REQUIRE(builtin.exitCode == 0);
  for (const char* path : {"compute", "fragment"}) {
    const auto r = runQviz({"render", dataPath("chelsea.png"), "--bits", "4,3,2,1", "--rounding", "user", "--gpu-path", path,
                            "--user-shader", solution("01-truncate"), "--out", dir + "/u.png", "--metrics", dir + "/u.json"},
                           gpuEnv());  // no --backend: the user shader picks the GPU
    INFO(path << ": " << r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(readText(dir + "/u.png") == readText(dir + "/t.png"));
    const auto m = Json::parse(readText(dir + "/u.json"));
    CHECK(m[0]["rounding"] == "user");
    CHECK(m[0]["backend"] == "gpu");
    CHECK(m[0]["user_shader"] == solution("01-truncate"));
  }
}

TEST_CASE("render --uniform sets the annotated uniforms of the user file, bad names and values are exit 2") {
  const std::string dir = freshDir("ws_render_uniforms");
  qviz::core::Image img = qviz::core::Image::make(2, 1, 3, qviz::core::SampleType::U8);
  REQUIRE(qviz::core::savePng(img, dir + "/in.png"));
  writeBytes(dir + "/level.glsl",
             "uniform float u_level; // @slider 0 1 0.25\n"
             "uniform bool u_invert; // @toggle\n"
             "float userQuantize(float x, int bits) { return u_invert ? 1.0 - u_level : u_level; }\n");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"render", dir + "/in.png", "--rounding", "user", "--backend", "gpu", "--user-shader",
                                     dir + "/level.glsl", "--out", dir + "/out.png", "--metrics", dir + "/m.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return runQviz(args, gpuEnv());
  };
  auto sample = [&] {
    auto out = qviz::core::loadImage(dir + "/out.png");
    REQUIRE(out);
    return out->at(1, 0, 2);
  };
  CHECK(run({}).exitCode == 0);
  CHECK(sample() == 64u);  // the default 0.25: roundEven(63.75)
  CHECK(run({"--uniform", "u_level=0.5"}).exitCode == 0);
  CHECK(sample() == 128u);  // roundEven(127.5)
  const auto both = run({"--uniform", "u_invert=on", "--uniform", "u_level=0.25"});
  INFO(both.err);
  CHECK(both.exitCode == 0);
  CHECK(sample() == 191u);  // 0.75 * 255 = 191.25
  CHECK(Json::parse(readText(dir + "/m.json"))["uniforms"] == Json{{"u_invert", 1.0}, {"u_level", 0.25}});

  const auto unknown = run({"--uniform", "u_gamma=2"});
  CHECK(unknown.exitCode == 2);
  CHECK(unknown.err == "qviz render: error: --uniform u_gamma: " + dir + "/level.glsl has no annotated uniform of that name (it has u_level, u_invert)\n");
  const auto range = run({"--uniform", "u_level=2"});
  CHECK(range.exitCode == 2);
  CHECK(range.err == "qviz render: error: --uniform u_level=2 is outside the slider's range 0..1\n");
  CHECK(run({"--uniform", "u_invert=maybe"}).exitCode == 2);
  CHECK(run({"--uniform", "u_level"}).exitCode == 2);
  const auto notUser = runQviz({"render", dir + "/in.png", "--uniform", "u_level=1", "--out", dir + "/o2.png"});
  CHECK(notUser.exitCode == 2);
  CHECK(notUser.err == "qviz render: error: --uniform goes with --rounding user\n");
}

TEST_CASE("render --rounding user: a broken user file or include is file:line: error first, exit 2, nothing written") {
  const std::string dir = freshDir("ws_render_broken") + "/shaders";
  fs::copy(std::string(QVIZ_SOURCE_DIR) + "/shaders", dir, fs::copy_options::recursive);
  const std::string user = dir + "/user/quantizer.glsl";
  const std::string out = freshDir("ws_render_broken_out") + "/o.png";
  auto render = [&](const char* path) {
    return runQviz({"render", dataPath("chelsea.png"), "--bits", "3", "--rounding", "user", "--backend", "gpu", "--gpu-path", path,
                    "--shader-dir", dir, "--out", out},
                   gpuEnv());
  };
  // A typo in the user file.
  writeBytes(user, "// a typo on line 3\nfloat userQuantize(float x, int bits) {\n  retrun x;\n}\n");
  for (const char* path : {"compute", "fragment"}) {
    const auto r = render(path);
    INFO(path << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(firstLine(r.err).rfind(user + ":3: error: ", 0) == 0);
    CHECK(r.err.find("qviz render: error: the user quantizer " + user + " did not build") != std::string::npos);
    CHECK(!fileExists(out));
  }
  // A typo in a file the user file includes: that file's path and line.
  writeBytes(user, "#include \"helper.glsl\"\nfloat userQuantize(float x, int bits) { return helper(x); }\n");
  writeBytes(dir + "/user/helper.glsl", "// helper\nfloat helper(float x) {\n  return x +* 2.0;\n}\n");
  for (const char* path : {"compute", "fragment"}) {
    const auto r = render(path);
    INFO(path << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(firstLine(r.err).rfind(dir + "/user/helper.glsl:3: error: ", 0) == 0);
  }
  // An include of a missing file: the including line.
  writeBytes(user, "\n#include \"missing.glsl\"\nfloat userQuantize(float x, int bits) { return x; }\n");
  const auto missingInclude = render("compute");
  CHECK(missingInclude.exitCode == 2);
  CHECK(firstLine(missingInclude.err) == user + ":2: error: cannot open included file \"missing.glsl\"");
  // No user file at all: one line.
  fs::remove(user);
  const auto noFile = render("compute");
  CHECK(noFile.exitCode == 2);
  CHECK(noFile.err == "qviz render: error: cannot read the user quantizer " + user +
                          ": No such file or directory (qviz workshop init DIR makes a shader folder with one)\n");
  CHECK(!fileExists(out));
}

TEST_CASE("render --rounding user on the CPU, or with --check, is exit 2 with one line") {
  const std::string dir = freshDir("ws_render_cpu");
  const auto cpu = runQviz({"render", dataPath("chelsea.png"), "--rounding", "user", "--backend", "cpu", "--out", dir + "/o.png"});
  CHECK(cpu.exitCode == 2);
  CHECK(cpu.err == "qviz render: error: the user shader rounding runs GLSL and needs the GPU (use --backend gpu)\n");
  const auto check = runQviz({"render", dataPath("chelsea.png"), "--rounding", "user", "--backend", "gpu", "--check", "--out", dir + "/o.png"});
  CHECK(check.exitCode == 2);
  CHECK(lineCount(check.err) == 1);
  const auto noGpu = runQviz({"render", dataPath("chelsea.png"), "--rounding", "user", "--backend", "auto", "--out", dir + "/o.png"},
                             {"QVIZ_NO_GPU=1"});
  CHECK(noGpu.exitCode == 2);
  CHECK(noGpu.err.find("the user shader runs on the GPU only") != std::string::npos);
  CHECK(!fileExists(dir + "/o.png"));
}

TEST_CASE("render --user-shader: /dev/zero, a FIFO and links to either are refused at once, nothing written",
          "[untrusted]") {
  // Issue 15.3: the user file was read without a limit (/dev/zero grew to 24 GB) and a FIFO blocked
  // forever. `timeout 20` turns a regression into a failure (exit 124) instead of a hung test.
  const std::string dir = freshDir("ws_render_special") + "/shaders";
  fs::copy(std::string(QVIZ_SOURCE_DIR) + "/shaders", dir, fs::copy_options::recursive);
  const std::string fifo = dir + "/../pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  fs::create_symlink("/dev/zero", dir + "/../zero_link.glsl");
  fs::create_symlink(fs::absolute(fifo), dir + "/../fifo_link.glsl");
  const std::string out = dir + "/../o.png";
  auto render = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"timeout", "20", QVIZ_BIN, "render", dataPath("chelsea.png"), "--bits", "3",
                                     "--rounding", "user", "--backend", "gpu", "--shader-dir", dir, "--out", out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return runProgram(argv, gpuEnv());
  };
  for (const std::string& file : {std::string("/dev/zero"), fifo, dir + "/../zero_link.glsl", dir + "/../fifo_link.glsl"}) {
    const auto r = render({"--user-shader", file});
    INFO(file);
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz render: error: cannot read the user quantizer " + file + ": not a regular file\n");
  }
  // The shader folder's own user file as a link to /dev/zero or to the FIFO.
  const std::string user = dir + "/user/quantizer.glsl";
  for (const std::string& target : {std::string("/dev/zero"), fs::absolute(fifo).string()}) {
    fs::remove(user);
    fs::create_symlink(target, user);
    const auto r = render({});
    INFO(target);
    CHECK(r.exitCode == 2);
    CHECK(r.err == "qviz render: error: cannot read the user quantizer " + user +
                       ": not a regular file (qviz workshop init DIR makes a shader folder with one)\n");
  }
  CHECK(!fileExists(out));
}

TEST_CASE("render --rounding user: #include outside the shader folder is refused, links resolved first", "[untrusted]") {
  // Issue 15.10: a shared workshop folder could read any file of the user through #include.
  const std::string root = freshDir("ws_render_include_outside");
  const std::string dir = root + "/shaders";
  fs::copy(std::string(QVIZ_SOURCE_DIR) + "/shaders", dir, fs::copy_options::recursive);
  writeBytes(root + "/secret.glsl", "float userQuantize(float x, int bits) { return x; }\n");
  fs::create_symlink(root + "/secret.glsl", dir + "/user/link.glsl");
  const std::string user = dir + "/user/quantizer.glsl";
  const std::string before = readText(root + "/secret.glsl");
  for (const std::string& name : {root + "/secret.glsl", std::string("../../secret.glsl"), std::string("link.glsl"),
                                  std::string("/etc/passwd")}) {
    writeBytes(user, "// includes a file outside\n#include \"" + name + "\"\n");
    const auto r = runQviz({"render", dataPath("chelsea.png"), "--bits", "3", "--rounding", "user", "--backend", "gpu",
                            "--shader-dir", dir, "--out", root + "/o.png"},
                           gpuEnv());
    INFO(name << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.substr(0, r.err.find('\n')) == user + ":2: error: include outside the shader folder");
  }
  // Inside the folder (also through "../" that stays inside) it builds.
  writeBytes(dir + "/common/mine.glsl", "float userQuantize(float x, int bits) { return x; }\n");
  writeBytes(user, "#include \"../common/mine.glsl\"\n");
  const auto ok = runQviz({"render", dataPath("chelsea.png"), "--bits", "3", "--rounding", "user", "--backend", "gpu",
                           "--shader-dir", dir, "--out", root + "/o.png"},
                          gpuEnv());
  INFO(ok.err);
  CHECK(ok.exitCode == 0);
  CHECK(readText(root + "/secret.glsl") == before);
}
