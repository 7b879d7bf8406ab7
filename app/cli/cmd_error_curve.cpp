// `qviz error-curve IMAGE [--json OUT] [--csv OUT] [--gray] [--seed N]`: the Error-against-bits
// panel's numbers headless: PSNR and SSIM of the uniform quantizer at every depth (1-8, or 1-16 for
// 16-bit images) for each rounding mode and dither, from core::computeErrorCurves (the CPU
// reference; each point equals `qviz render --bits B --rounding R --dither D --metrics`).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "image/image_io.hpp"
#include "metrics/error_curve.hpp"
#include "util/fs.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;
constexpr const char* kSub = "error-curve";

// %.17g: every double read back exactly; an empty cell for none.
std::string cell(const std::optional<double>& v) {
  if (!v) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", *v);
  return buf;
}

std::string toCsv(const ErrorCurves& c) {
  std::string out = "rounding,dither,bits,mse,psnr_db,ssim\n";
  const auto& modes = errorCurveModes();
  for (std::size_t m = 0; m < modes.size(); ++m)
    for (int bits = 1; bits <= c.maxBits; ++bits) {
      const CurvePoint& p = *c.at(m, bits);
      out += std::string(roundingName(modes[m].rounding)) + "," + ditherName(modes[m].dither) + "," +
             std::to_string(bits) + "," + cell(p.mse) + "," + cell(p.psnrDb) + "," + cell(p.ssim) + "\n";
    }
  return out;
}

Json toJson(const ErrorCurves& c, const std::string& input, const Image& reference, const UniformSettings& base,
            double ms) {
  Json j;
  j["image"] = input;
  j["width"] = reference.width;
  j["height"] = reference.height;
  j["channels"] = reference.channels;
  j["bit_depth"] = reference.bitDepth();
  j["gray"] = base.gray;
  j["seed"] = base.seed;
  j["backend"] = "cpu";
  j["curves"] = Json::array();
  const auto& modes = errorCurveModes();
  for (std::size_t m = 0; m < modes.size(); ++m) {
    Json cj;
    cj["label"] = curveModeLabel(modes[m]);
    cj["rounding"] = roundingName(modes[m].rounding);
    cj["dither"] = ditherName(modes[m].dither);
    cj["points"] = Json::array();
    for (int bits = 1; bits <= c.maxBits; ++bits) {
      const CurvePoint& p = *c.at(m, bits);
      cj["points"].push_back({{"bits", bits},
                              {"mse", p.mse},
                              {"psnr_db", p.psnrDb ? Json(*p.psnrDb) : Json(nullptr)},
                              {"ssim", p.ssim ? Json(*p.ssim) : Json(nullptr)}});
    }
    j["curves"].push_back(std::move(cj));
  }
  j["elapsed_ms"] = ms;
  return j;
}
}  // namespace

int runErrorCurve(int argc, char** argv) {
  CLI::App app{"PSNR and SSIM against bits for every rounding mode and dither (the Error against bits panel)", kSub};
  std::string input, jsonPath, csvPath;
  bool gray = false;
  std::uint32_t seed = 0;
  app.add_option("IMAGE", input, "PNG, JPEG, BMP or TGA image (8 or 16 bits per sample)")->required();
  app.add_option("--json", jsonPath, "write the curves as JSON here");
  app.add_option("--csv", csvPath, "write the curves as CSV here (rounding,dither,bits,mse,psnr_db,ssim)");
  app.add_flag("--gray", gray, "quantize the integer luma (77R+150G+29B+128)>>8");
  app.add_option("--seed", seed, "seed of stochastic rounding");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;
  for (const std::string* p : {&jsonPath, &csvPath}) {
    if (p->empty()) continue;
    if (samePath(input, *p)) return badInput(kSub, *p + " is the input image; refusing to overwrite it");
    const auto parent = std::filesystem::path(*p).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      return badInput(kSub, "the folder of " + *p + " does not exist");
  }
  if (!jsonPath.empty() && !csvPath.empty() && samePath(jsonPath, csvPath))
    return badInput(kSub, "--json and --csv name the same file");

  auto loaded = loadImage(input);
  if (!loaded) return badInput(kSub, loaded.error());
  UniformSettings base;
  base.gray = gray;
  base.seed = seed;
  const Image reference = quantizerReference(*loaded, base);
  const auto t0 = std::chrono::steady_clock::now();
  auto curves = computeErrorCurves(reference, base);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!curves) return badInput(kSub, curves.error());
  const std::string csv = toCsv(*curves);
  if (jsonPath.empty() && csvPath.empty()) {
    std::fputs(csv.c_str(), stdout);
    return kExitOk;
  }
  // Both files appear, or neither changes.
  OutputSet outputs;
  if (!jsonPath.empty())
    if (auto st = outputs.add(jsonPath, toJson(*curves, input, reference, base, ms).dump(2) + "\n"); !st)
      return badInput(kSub, st.error());
  if (!csvPath.empty())
    if (auto st = outputs.add(csvPath, csv); !st) return badInput(kSub, st.error());
  if (auto st = outputs.commit(); !st) return badInput(kSub, st.error());
  std::printf("qviz error-curve: %zu points (%zu curves x %d depths) of %s (%dx%d, %d channel%s) in %.2f s on the CPU\n",
              curves->steps() / 2, curves->points.size(), curves->maxBits, input.c_str(), reference.width,
              reference.height, reference.channels, reference.channels == 1 ? "" : "s", ms / 1000.0);
  return kExitOk;
}

}  // namespace qviz::cli
