// The workshop exercises without GL: the table, the assets, `workshop init`, the check image and
// the comparison (see workshop.hpp).
#include "cli/workshop.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "image/compare.hpp"
#include "util/fs.hpp"

#ifndef QVIZ_SOURCE_DIR
#define QVIZ_SOURCE_DIR "."
#endif

namespace qviz::cli::workshop {
namespace fs = std::filesystem;
using core::fail;

namespace {
constexpr std::uint64_t kMaxFileBytes = 16u << 20;  // shader and README files are a few KiB

bool isDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

core::Status copyFile(const fs::path& from, const fs::path& to) {
  auto bytes = core::readFile(from.string(), kMaxFileBytes);
  if (!bytes) return fail(bytes.error());
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return fail("cannot create the folder " + to.parent_path().string() + ": " + ec.message());
  return core::writeFileAtomic(to.string(), bytes->data(), bytes->size());
}
}  // namespace

const std::vector<Exercise>& exercises() {
  static const std::vector<Exercise> table = {
      {"01-truncate", "truncation vs nearest", {1, 2, 3, 4}, {}, 7, 0},
      {"02-stochastic", "stochastic rounding from a hash", {1, 2, 3, 4}, {}, 7, 0},
      // log() and pow() differ between drivers in the last bits: one sample value of slack.
      {"03-mulaw", "a mu-law quantizer", {2, 3, 4}, {{"u_mu", 255.0}}, 7, 1},
      {"04-nf4", "NF4 lookup by midpoints", {2, 4}, {}, 7, 0},
      {"05-dither", "ordered dithering (Bayer 4x4)", {1, 2, 3}, {}, 7, 0},
  };
  return table;
}

const Exercise* findExercise(const std::string& key) {
  if (key.empty()) return nullptr;
  const bool number = key.find_first_not_of("0123456789") == std::string::npos && key.size() <= 3;
  for (const auto& e : exercises()) {
    const std::string num = e.id.substr(0, e.id.find('-'));
    const std::string name = e.id.substr(e.id.find('-') + 1);
    if (key == e.id || key == name) return &e;
    if (number && std::atoi(key.c_str()) == std::atoi(num.c_str())) return &e;
  }
  return nullptr;
}

core::Result<std::string> assetsDir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("QVIZ_WORKSHOP_ASSETS"); env && *env) candidates.push_back(env);
  for (const char* d : {QVIZ_SOURCE_DIR "/assets/workshop", "assets/workshop", "/usr/share/qviz/workshop"})
    candidates.push_back(d);
  for (const auto& d : candidates)
    if (isDir(fs::path(d) / "solutions")) return d;
  std::string tried;
  for (const auto& d : candidates) tried += (tried.empty() ? "" : ", ") + d;
  return fail("cannot find the workshop assets (tried " + tried + ")");
}

std::string exerciseFile(const std::string& dir, const Exercise& e) {
  return (fs::path(dir) / "exercises" / e.id / "quantizer.glsl").string();
}

std::string solutionFile(const std::string& assets, const Exercise& e) {
  return (fs::path(assets) / "solutions" / (e.id + ".glsl")).string();
}

core::Status initWorkshop(const std::string& dir, const std::string& shaderDir, const std::string& assets,
                          std::vector<std::string>& written) {
  written.clear();
  std::error_code ec;
  const fs::path root(dir);
  if (fs::exists(root, ec)) {
    if (!isDir(root)) return fail(dir + " exists and is not a folder");
    if (!fs::is_empty(root, ec)) return fail(dir + " is not empty; workshop init never overwrites files (choose a new folder)");
  }
  if (!isDir(shaderDir)) return fail("the shader folder " + shaderDir + " does not exist");
  // Every source first, so a missing asset stops before anything is written.
  std::vector<std::pair<fs::path, std::string>> plan;  // source, destination relative to dir
  std::vector<std::string> shaderFiles;
  for (auto it = fs::recursive_directory_iterator(shaderDir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path rel = it->path().lexically_relative(shaderDir);
    if (it->is_directory() && rel == "exercises") {
      it.disable_recursion_pending();  // a workshop folder used as the shader folder: not its exercises
      continue;
    }
    if (it->is_regular_file()) shaderFiles.push_back(rel.generic_string());
  }
  if (ec) return fail("cannot list " + shaderDir + ": " + ec.message());
  std::sort(shaderFiles.begin(), shaderFiles.end());
  for (const auto& rel : shaderFiles) plan.emplace_back(fs::path(shaderDir) / rel, rel);
  plan.emplace_back(fs::path(assets) / "README.md", "exercises/README.md");
  for (const auto& e : exercises()) {
    plan.emplace_back(fs::path(assets) / e.id / "README.md", "exercises/" + e.id + "/README.md");
    plan.emplace_back(fs::path(assets) / e.id / "starter.glsl", "exercises/" + e.id + "/quantizer.glsl");
  }
  for (const auto& [from, to] : plan)
    if (!fs::is_regular_file(from, ec)) return fail("the workshop assets are incomplete: " + from.string() + " is missing");
  // The tree is built under a temporary name and renamed into place when complete, so a failure
  // leaves no partial tree. An existing empty folder is replaced by the new one (and put back on
  // a failure).
  const bool existedEmpty = fs::exists(root, ec);
  if (existedEmpty && !fs::remove(root, ec)) return fail("cannot create " + dir + ": " + ec.message());
  auto folder = core::OutputFolder::prepare(dir);
  auto restore = [&](core::Status st) {
    if (existedEmpty) fs::create_directory(root, ec);
    written.clear();
    return st;
  };
  if (!folder) return restore(fail(folder.error()));
  for (const auto& [from, to] : plan) {
    if (auto st = copyFile(from, folder->stagingPath(to)); !st) {
      folder = core::OutputFolder();  // removes what was built
      return restore(st);
    }
    written.push_back(to);
  }
  if (auto st = folder->commit(); !st) return restore(st);
  return {};
}

core::Image gradientImage() {
  core::Image img = core::Image::make(256, 16, 3, core::SampleType::U8);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const std::size_t i = (std::size_t(y) * 256 + std::size_t(x)) * 3;
      img.u8[i] = std::uint8_t(x);
      img.u8[i + 1] = std::uint8_t(255 - x);
      img.u8[i + 2] = std::uint8_t((x + 16 * y) & 255);
    }
  return img;
}

Comparison compareImages(const core::Image& input, const core::Image& got, const core::Image& want,
                         std::uint32_t tolerance) {
  Comparison c;
  c.compared = want.sampleCount();
  const core::SampleComparison s = input.sameShape(want) ? core::compareSamples(want, got, tolerance) : core::SampleComparison{};
  if (!s.comparable) {
    c.differing = c.compared;
    return c;
  }
  c.differing = s.differing;
  if (s.differing) {
    c.x = s.x;
    c.y = s.y;
    c.channel = s.channel;
    c.input = input.sample(s.first);
    c.got = s.got;
    c.want = s.want;
  }
  return c;
}

}  // namespace qviz::cli::workshop
