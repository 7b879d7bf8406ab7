// `qviz render`: quantize an image with the uniform quantizer, write the result (or the
// original followed by one tile per depth) as PNG, and the metrics as JSON.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "image/figure.hpp"
#include "image/image_io.hpp"
#include "metrics/metrics.hpp"
#include "quant/uniform.hpp"
#include "util/fs.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;

bool parseIntList(const std::string& text, std::vector<int>& out) {
  out.clear();
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 3) return false;
    out.push_back(std::stoi(item));
  }
  return !out.empty();
}

}  // namespace

int runRender(int argc, char** argv) {
  CLI::App app{"Quantize an image with the uniform quantizer", "render"};
  std::string input, bitsText = "4", roundingText = "nearest", ditherText = "none", channelBitsText, out,
              metricsPath, backend = "cpu";
  bool gray = false, labels = false;
  std::uint32_t seed = 0;
  app.add_option("IMAGE", input, "PNG, JPEG, BMP or TGA image")->required();
  app.add_option("--bits", bitsText, "bits per sample (1-8, 1-16 for 16-bit images), or a list like 8,4,2,1");
  app.add_option("--rounding", roundingText, "nearest | truncate | stochastic | seed (the original app's formula)");
  app.add_option("--dither", ditherText, "none | ordered | floyd-steinberg");
  app.add_flag("--gray", gray, "quantize the integer luma (77R+150G+29B+128)>>8");
  app.add_option("--seed", seed, "seed of stochastic rounding");
  app.add_option("--channel-bits", channelBitsText, "bits per colour channel, e.g. 5,6,5");
  app.add_option("--out", out, "output PNG")->required();
  app.add_option("--metrics", metricsPath, "write the metrics as JSON here");
  app.add_option("--backend", backend, "cpu");
  app.add_flag("--labels", labels, "with a list of depths: a label strip under each tile (depth, levels, PSNR, SSIM)");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  UniformSettings s;
  s.gray = gray;
  s.seed = seed;
  std::vector<int> depths;
  if (!parseIntList(bitsText, depths)) return badInput("render", "--bits must be a number or a comma-separated list, got '" + bitsText + "'");
  if (!parseRounding(roundingText, s.rounding))
    return badInput("render", "unknown --rounding '" + roundingText + "' (nearest, truncate, stochastic, seed)");
  if (!parseDither(ditherText, s.dither))
    return badInput("render", "unknown --dither '" + ditherText + "' (none, ordered, floyd-steinberg)");
  if (!channelBitsText.empty()) {
    std::vector<int> cb;
    if (!parseIntList(channelBitsText, cb) || cb.size() > 3)
      return badInput("render", "--channel-bits takes up to three numbers like 5,6,5, got '" + channelBitsText + "'");
    for (std::size_t i = 0; i < cb.size(); ++i) s.channelBits[i] = cb[i];
    if (depths.size() > 1) return badInput("render", "--channel-bits cannot be combined with a list of --bits");
  }
  if (backend != "cpu") return badInput("render", "unknown --backend '" + backend + "' (cpu)");
  if (samePath(input, out)) return badInput("render", "--out is the input image; refusing to overwrite it");
  if (!metricsPath.empty() && (samePath(input, metricsPath) || samePath(out, metricsPath)))
    return badInput("render", "--metrics must differ from the input and the output");
  for (const std::string& p : {out, metricsPath}) {
    if (p.empty()) continue;
    const auto parent = std::filesystem::path(p).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      return badInput("render", "the folder of " + p + " does not exist");
  }

  auto loaded = loadImage(input);
  if (!loaded) return badInput("render", loaded.error());
  const Image& original = *loaded;
  const Image reference = quantizerReference(original, s);

  std::vector<Image> tiles;
  if (depths.size() > 1) tiles.push_back(reference);
  Json metrics = Json::array();
  for (int bits : depths) {
    s.bits = bits;
    if (auto st = validateUniform(original, s); !st) return badInput("render", st.error());
    Image quantized;
    const auto t0 = std::chrono::steady_clock::now();
    if (auto st = quantizeUniformInto(reference, s, quantized); !st) return badInput("render", st.error());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const ImageMetrics m = computeMetrics(original, reference, quantized, s);
    Json j;
    j["width"] = reference.width;
    j["height"] = reference.height;
    j["channels"] = reference.channels;
    j["bit_depth"] = reference.bitDepth();
    j["bits"] = bits;
    if (!channelBitsText.empty()) j["channel_bits"] = {s.bitsFor(0), s.bitsFor(1), s.bitsFor(2)};
    j["rounding"] = roundingName(s.rounding);
    j["dither"] = ditherName(s.dither);
    j["gray"] = s.gray;
    j["seed"] = s.seed;
    j["mse"] = m.mse;
    j["psnr_db"] = m.psnrDb ? Json(*m.psnrDb) : Json(nullptr);
    j["ssim"] = m.ssim ? Json(*m.ssim) : Json(nullptr);
    j["max_abs_error"] = m.maxAbsError;
    j["levels_used"] = m.levelsUsed;
    j["bits_per_sample"] = m.storage.bitsPerSample;
    j["stored_bytes"] = m.storage.storedBytes;
    j["original_bytes"] = m.storage.originalBytes;
    j["compression_ratio"] = m.storage.compressionRatio;
    j["backend"] = backend;
    j["elapsed_ms"] = ms;
    metrics.push_back(std::move(j));
    tiles.push_back(std::move(quantized));
  }
  Image result;
  if (tiles.size() == 1) {
    result = std::move(tiles.front());
  } else if (!labels) {
    result = concatHorizontal(tiles);
  } else {
    std::vector<std::vector<std::string>> text = {{"original", s.gray ? "luma" : "", ""}};
    for (const auto& m : metrics) {
      char line[64];
      std::snprintf(line, sizeof line, "%d bit%s, %u levels", int(m["bits"]), int(m["bits"]) == 1 ? "" : "s",
                    unsigned(m["levels_used"]));
      char line2[64];
      if (m["psnr_db"].is_null()) std::snprintf(line2, sizeof line2, "identical");
      else std::snprintf(line2, sizeof line2, "PSNR %.2f dB  SSIM %.3f", double(m["psnr_db"]), m["ssim"].is_null() ? 1.0 : double(m["ssim"]));
      text.push_back({line, line2});
    }
    result = labelledFigure(tiles, text);
  }
  if (auto st = savePng(result, out, {input}); !st) return badInput("render", st.error());
  if (!metricsPath.empty()) {
    const Json& doc = depths.size() > 1 ? metrics : metrics.front();
    if (auto st = writeFileAtomic(metricsPath, doc.dump(2) + "\n"); !st) return badInput("render", st.error());
  }
  return kExitOk;
}

}  // namespace qviz::cli
