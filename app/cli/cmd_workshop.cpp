// `qviz workshop init DIR` makes a writable shader folder with the exercises' starters;
// `qviz workshop check DIR [EXERCISE]` runs each exercise file and its reference solution through
// the GPU user quantizer (Rounding::User) on built-in images and compares every sample.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "cli/workshop.hpp"
#include "gpu/session.hpp"
#include "gpu/uniform_kernel.hpp"
#include "image/image_io.hpp"
#include "quant/uniform.hpp"
#include "util/assets.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
namespace fs = std::filesystem;
namespace ws = workshop;

constexpr const char* kSub = "workshop";

std::string absolute(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return (ec ? fs::path(p) : a).lexically_normal().string();
}

int runInit(const std::string& dirArg) {
  auto assets = ws::assetsDir();
  if (!assets) return badInput(kSub, assets.error());
  const std::string shaderDir = gpu::ShaderLibrary::defaultDir();
  std::vector<std::string> written;
  if (auto st = ws::initWorkshop(dirArg, shaderDir, *assets, written); !st) return badInput(kSub, st.error());
  std::size_t shaderFiles = 0;
  for (const auto& f : written) shaderFiles += f.rfind("exercises/", 0) == 0 ? 0 : 1;
  const std::string dir = absolute(dirArg);
  std::printf("made %s: the shader tree (%zu files, from %s) and %zu exercises, each with a README.md:\n",
              dir.c_str(), shaderFiles, shaderDir.c_str(), ws::exercises().size());
  for (const auto& e : ws::exercises())
    std::printf("  %-38s %s\n", ("exercises/" + e.id + "/quantizer.glsl").c_str(), e.title.c_str());
  std::printf(
      "next:\n"
      "  qviz --shader-dir %s\n"
      "      the explorer on these shaders; choose the \"user\" rounding. It runs user/quantizer.glsl:\n"
      "      to work on an exercise there, make that file the single line\n"
      "        #include \"exercises/01-truncate/quantizer.glsl\"\n"
      "  qviz render IMAGE --bits 3 --rounding user --backend gpu --shader-dir %s \\\n"
      "      --user-shader %s --out out.png\n"
      "  qviz workshop check %s [01]\n"
      "      compares your exercise files with the reference solutions\n",
      dir.c_str(), dir.c_str(), ws::exerciseFile(dir, ws::exercises().front()).c_str(), dir.c_str());
  return kExitOk;
}

// A built-in image the check runs on: on the CPU and on the GPU.
struct CheckImage {
  std::string name;
  Image image;
  gpu::DeviceImage device;
};

// Runs one file at one depth; the quantized image, or the build/run error.
Result<Image> runUser(gpu::UniformQuantizerGpu& q, gpu::GpuPath path, const CheckImage& img, const std::string& file,
                      const ws::Exercise& e, int bits, gpu::DeviceImage& out) {
  q.setUserShader(gpu::UserShader{file, e.uniforms});
  UniformSettings s;
  s.rounding = Rounding::User;
  s.bits = bits;
  s.seed = e.seed;
  if (auto st = q.run(img.device, s, out, path); !st) return fail(st.error());
  Image result;
  if (auto st = out.download(result); !st) return fail(st.error());
  return result;
}

int runCheck(const std::string& dirArg, const std::string& only, const std::string& fileArg) {
  std::error_code ec;
  const std::string dir = absolute(dirArg);
  if (!fs::is_directory(dirArg, ec)) return badInput(kSub, dirArg + " is not a folder (make one with: qviz workshop init " + dirArg + ")");
  if (!fs::is_directory(fs::path(dir) / "exercises", ec))
    return badInput(kSub, dirArg + " is not a workshop folder (no exercises/ in it; make one with: qviz workshop init NEWDIR)");
  std::vector<const ws::Exercise*> todo;
  if (!only.empty()) {
    const ws::Exercise* e = ws::findExercise(only);
    if (!e) {
      std::string names;
      for (const auto& x : ws::exercises()) names += (names.empty() ? "" : ", ") + x.id;
      return badInput(kSub, "no exercise '" + only + "' (" + names + ")");
    }
    todo.push_back(e);
  } else {
    for (const auto& e : ws::exercises()) todo.push_back(&e);
  }
  if (!fileArg.empty() && todo.size() != 1)
    return badInput(kSub, "--file checks one file: name its exercise too (qviz workshop check DIR EXERCISE --file FILE)");
  auto assets = ws::assetsDir();
  if (!assets) return badInput(kSub, assets.error());
  const std::string assetsAbs = absolute(*assets);

  std::vector<CheckImage> images;
  images.push_back({"gradient", ws::gradientImage(), {}});
  const std::string photo = core::assetImagePath("astronaut.png");
  auto loaded = loadImage(photo);
  if (!loaded) return badInput(kSub, "the check image " + photo + ": " + loaded.error());
  images.push_back({fs::path(photo).stem().string(), std::move(*loaded), {}});

  // The folder's own pipeline (as `qviz --shader-dir DIR` runs it) when it has one.
  gpu::SessionOptions so;
  if (fs::is_regular_file(fs::path(dir) / "quantize_user.comp", ec)) so.shaderDir = dir;
  auto session = gpu::GpuSession::openHeadless(so);
  if (!session) return badInput(kSub, "no GPU context: " + session.error() + " (the check runs the shaders on the GPU)");
  gpu::GpuSession& gs = **session;
  const gpu::GpuPath path = gs.context().defaultPath();
  for (auto& img : images)
    if (auto st = img.device.upload(img.image); !st) return badInput(kSub, st.error());
  gpu::UniformQuantizerGpu quantizer(gs.env());
  gpu::DeviceImage out;

  std::size_t passed = 0;
  for (const ws::Exercise* e : todo) {
    const std::string mine = fileArg.empty() ? ws::exerciseFile(dir, *e) : absolute(fileArg);
    const std::string reference = ws::solutionFile(assetsAbs, *e);
    if (!fs::is_regular_file(mine, ec)) {
      std::printf("FAIL %s: %s is missing\n", e->id.c_str(), mine.c_str());
      continue;
    }
    ws::Comparison total;
    std::string first;  // "bits B, image NAME" of the first differing sample
    std::string buildError;
    for (const auto& img : images) {
      for (int bits : e->bits) {
        auto want = runUser(quantizer, path, img, reference, *e, bits, out);
        if (!want) {
          std::fflush(stdout);
          std::fprintf(stderr, "qviz workshop: error: the reference solution %s does not run:\n%s\n", reference.c_str(),
                       want.error().c_str());
          return kExitBadInput;
        }
        auto got = runUser(quantizer, path, img, mine, *e, bits, out);
        if (!got) {
          buildError = got.error();
          break;
        }
        const ws::Comparison c = ws::compareImages(img.image, *got, *want, e->tolerance);
        if (c.differing && !total.differing) {
          const std::size_t compared = total.compared;
          total = c;  // the first differing sample, and its counts
          total.compared = compared;
          total.differing = 0;
          first = "bits " + std::to_string(bits) + ", image " + img.name;
        }
        total.differing += c.differing;
        total.compared += c.compared;
      }
      if (!buildError.empty()) break;
    }
    if (!buildError.empty()) {
      std::printf("FAIL %s: the shader does not build:\n%s\n", e->id.c_str(), buildError.c_str());
    } else if (total.differing) {
      std::printf("FAIL %s: %zu of %zu samples differ%s (first at x=%d y=%d channel %d, input %u: got %u, want %u; %s)\n",
                  e->id.c_str(), total.differing, total.compared,
                  e->tolerance ? (" by more than " + std::to_string(e->tolerance)).c_str() : "", total.x, total.y,
                  total.channel, total.input, total.got, total.want, first.c_str());
    } else {
      std::printf("PASS %s\n", e->id.c_str());
      ++passed;
    }
  }
  if (todo.size() > 1) std::printf("%zu of %zu exercises pass\n", passed, todo.size());
  return passed == todo.size() ? kExitOk : kExitCheckFailed;
}

}  // namespace

int runWorkshop(int argc, char** argv) {
  CLI::App app{"Workshop exercises: make a shader folder with the starters, check them against the solutions", "workshop"};
  app.require_subcommand(1);
  std::string initDir, checkDir, exercise, file;
  auto* init = app.add_subcommand("init", "copy the shader tree and the exercises (not the solutions) into a new folder");
  init->add_option("DIR", initDir, "a folder that does not exist yet, or an empty one")->required();
  auto* check = app.add_subcommand("check", "run your exercise files and the reference solutions on the GPU and compare");
  check->add_option("DIR", checkDir, "a folder made by qviz workshop init")->required();
  check->add_option("EXERCISE", exercise, "only this one: a number (3), or a name (03-mulaw, mulaw)");
  check->add_option("--file", file, "check this file instead of DIR/exercises/EXERCISE/quantizer.glsl (e.g. DIR/user/quantizer.glsl)");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;
  if (init->parsed()) return runInit(initDir);
  return runCheck(checkDir, exercise, file);
}

}  // namespace qviz::cli
