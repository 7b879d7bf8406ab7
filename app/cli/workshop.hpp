// The workshop exercises without GL: the exercise table (what `qviz workshop check` runs for each),
// where the assets are, `workshop init` (copy the shader tree and the starters into a new folder),
// the synthetic check image and the sample-by-sample comparison. The GPU runs are in cmd_workshop.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "util/result.hpp"

namespace qviz::cli::workshop {

// One exercise: assets/workshop/ID/{README.md,starter.glsl} and assets/workshop/solutions/ID.glsl.
struct Exercise {
  std::string id;                          // "03-mulaw": folder name, number first
  std::string title;                       // one line, for listings
  std::vector<int> bits;                   // the depths the check runs
  std::map<std::string, double> uniforms;  // annotated uniforms the check sets (UserShader::values)
  std::uint32_t seed = 7;                  // u_seed during the check
  std::uint32_t tolerance = 0;             // largest |got - want| still counted as equal
};

const std::vector<Exercise>& exercises();
// By number ("3", "03"), full id ("03-mulaw") or name ("mulaw"); nullptr when none matches.
const Exercise* findExercise(const std::string& key);

// assets/workshop: $QVIZ_WORKSHOP_ASSETS when set, else the source tree's, else ./assets/workshop,
// else /usr/share/qviz/workshop. Fails when none of them holds the solutions folder.
core::Result<std::string> assetsDir();

// Where an initialised folder keeps an exercise: DIR/exercises/ID/quantizer.glsl (+ README.md).
std::string exerciseFile(const std::string& dir, const Exercise& e);
std::string solutionFile(const std::string& assets, const Exercise& e);

// Copies every file of `shaderDir` (recursively, its own exercises/ excepted) into `dir`, then for
// each exercise the README and the starter (as exercises/ID/README.md and exercises/ID/quantizer.glsl)
// and the overview assets/workshop/README.md as exercises/README.md. Never the solutions. `dir` must
// not exist or be an empty folder: nothing is ever overwritten. Each file is written atomically;
// `written` lists the files made (relative to dir), in order.
core::Status initWorkshop(const std::string& dir, const std::string& shaderDir, const std::string& assets,
                          std::vector<std::string>& written);

// 256x16 RGB: red x, green 255 - x, blue (x + 16 y) mod 256, so every 8-bit value appears in each
// channel at several pixel positions (for the exercises that depend on the pixel).
core::Image gradientImage();

struct Comparison {
  std::size_t compared = 0;
  std::size_t differing = 0;  // samples with |got - want| > tolerance
  // The first differing sample (valid when differing > 0).
  int x = 0, y = 0, channel = 0;
  std::uint32_t input = 0, got = 0, want = 0;
};
// Compares two images of the same shape sample by sample; `input` is the image both came from.
Comparison compareImages(const core::Image& input, const core::Image& got, const core::Image& want,
                         std::uint32_t tolerance);

}  // namespace qviz::cli::workshop
