// `qviz render`: quantize an image with the uniform quantizer, write the result (or the
// original followed by one tile per depth) as PNG, and the metrics as JSON. --backend gpu runs the
// quantizer and the metrics on a headless GL context (qviz_gpu); --check runs the CPU too and
// fails on any difference. --rounding user runs the workshop shader (user/quantizer.glsl of the
// shader folder, or --user-shader FILE) on the GPU, with --uniform NAME=VALUE for its annotated uniforms.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "gpu/metrics_kernels.hpp"
#include "gpu/session.hpp"
#include "gpu/shader_annotations.hpp"
#include "gpu/uniform_kernel.hpp"
#include "image/compare.hpp"
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

// The GPU side of one render: a headless session, the original on the GPU, the kernels.
struct GpuRender {
  std::unique_ptr<gpu::GpuSession> session;
  gpu::GpuPath path = gpu::GpuPath::Compute;
  std::unique_ptr<gpu::UniformQuantizerGpu> quantizer;
  std::unique_ptr<gpu::ErrorStatsGpu> errorStats;
  std::unique_ptr<gpu::SsimGpu> ssim;
  gpu::DeviceImage original, reference, quantized;

  bool metricsOnGpu() const { return session->context().computeAvailable(); }
};

// Quantized image, timing and metrics from the GPU; the shader diagnostics (file:line: message)
// or the kernel's error otherwise.
struct GpuDepthResult {
  Image quantized;
  double ms = 0;
  ImageMetrics metrics;
  bool metricsOnGpu = false;
};
Result<GpuDepthResult> renderOnGpu(GpuRender& g, const Image& original, const Image& reference,
                                   const UniformSettings& s) {
  GpuDepthResult r;
  const auto t0 = std::chrono::steady_clock::now();
  if (auto st = g.quantizer->run(g.original, s, g.quantized, g.path); !st) return fail(st.error());
  glFinish();
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (auto st = g.quantized.download(r.quantized); !st) return fail(st.error());
  // Metrics: exact error sums and SSIM on the GPU (compute path); the rest is cheap CPU arithmetic.
  r.metrics.storage = storageInfo(original, reference, s);
  r.metrics.levelsUsed = levelsUsed(r.quantized);
  if (g.metricsOnGpu()) {
    auto stats = g.errorStats->run(g.reference, g.quantized);
    if (!stats) return fail(stats.error());
    auto sim = g.ssim->run(g.reference, g.quantized);
    if (!sim) return fail(sim.error());
    r.metrics.mse = stats->mse();
    r.metrics.maxAbsError = stats->maxAbsError;
    r.metrics.ssim = *sim;
    r.metricsOnGpu = true;
  } else {
    const ImageMetrics m = computeMetrics(original, reference, r.quantized, s);
    r.metrics.mse = m.mse;
    r.metrics.maxAbsError = m.maxAbsError;
    r.metrics.ssim = m.ssim;
  }
  r.metrics.psnrDb = psnrFromMse(r.metrics.mse, reference.vmax());
  return r;
}

// Prints a multi-line GPU failure (shader diagnostics are one "file:line: error: message" each).
int gpuFailure(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "qviz render: error: %s:\n%s\n", what.c_str(), message.c_str());
  return kExitBadInput;
}

// The user shader did not build (or run): its diagnostics come first, errors before warnings, so
// the first line of stderr is "file:line: error: message" as a compiler prints it (editors jump
// there); one summary line follows.
int userShaderFailure(const std::string& file, const std::string& message) {
  std::vector<std::string> errors, others;
  std::stringstream ss(message);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) (line.find(": error: ") != std::string::npos ? errors : others).push_back(line);
  for (const auto* group : {&errors, &others})
    for (const auto& line : *group) std::fprintf(stderr, "%s\n", line.c_str());
  std::fprintf(stderr, "qviz render: error: the user quantizer %s did not build or run\n", file.c_str());
  return kExitBadInput;
}

// --uniform NAME=VALUE against the user file's annotations: sliders take a number in their range,
// toggles on/off/true/false/1/0.
Result<std::map<std::string, double>> parseUniforms(const std::vector<std::string>& items, const gpu::AnnotationSet& ann,
                                                    const std::string& file) {
  std::map<std::string, double> values;
  std::string names;
  for (const auto& c : ann.controls) names += (names.empty() ? "" : ", ") + c.name;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return fail("--uniform takes NAME=VALUE, got '" + item + "'");
    const std::string name = item.substr(0, eq), text = item.substr(eq + 1);
    const auto it = std::find_if(ann.controls.begin(), ann.controls.end(), [&](const auto& c) { return c.name == name; });
    if (it == ann.controls.end())
      return fail("--uniform " + name + ": " + file + " has no annotated uniform of that name (" +
                  (names.empty() ? std::string("it has none") : "it has " + names) + ")");
    double v = 0;
    if (it->kind == gpu::UniformControl::Kind::Toggle) {
      if (text == "on" || text == "true" || text == "1") v = 1;
      else if (text == "off" || text == "false" || text == "0") v = 0;
      else return fail("--uniform " + name + " is a toggle: on or off, got '" + text + "'");
    } else {
      char* end = nullptr;
      v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(v))
        return fail("--uniform " + name + " takes a number, got '" + text + "'");
      if (v < it->min || v > it->max) {
        char range[96];
        std::snprintf(range, sizeof range, "%g..%g", it->min, it->max);
        return fail("--uniform " + name + "=" + text + " is outside the slider's range " + range);
      }
      if (it->type != "float" && v != std::floor(v)) return fail("--uniform " + name + " is an " + it->type + ": a whole number, got '" + text + "'");
    }
    values[name] = v;
  }
  return values;
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
  app.add_option("--rounding", roundingText,
                 "nearest | truncate | stochastic | seed (the original app's formula) | user (the workshop shader, GPU only) | "
                 "drop (keep the top bits: code = v >> (depth - bits))");
  app.add_option("--dither", ditherText, "none | ordered | floyd-steinberg");
  app.add_flag("--gray", gray, "quantize the integer luma (77R+150G+29B+128)>>8");
  app.add_option("--seed", seed, "seed of stochastic rounding");
  app.add_option("--channel-bits", channelBitsText, "bits per colour channel, e.g. 5,6,5");
  app.add_option("--out", out, "output PNG")->required();
  app.add_option("--metrics", metricsPath, "write the metrics as JSON here");
  std::string gpuPathText, shaderDir, userShader;
  std::vector<std::string> uniformItems;
  bool check = false;
  app.add_option("--backend", backend, "cpu | gpu | auto (auto: the GPU when a GL context can be made)");
  app.add_option("--gpu-path", gpuPathText, "compute | fragment (default: compute on GL 4.3+, else fragment)");
  app.add_option("--shader-dir", shaderDir, "load shaders from DIR (default: $QVIZ_SHADER_DIR or the source tree)");
  app.add_option("--user-shader", userShader,
                 "with --rounding user: the file defining userQuantize (default: user/quantizer.glsl of the shader folder)");
  app.add_option("--uniform", uniformItems, "with --rounding user: NAME=VALUE for an annotated uniform (repeatable)")
      ->take_all()
      ->allow_extra_args(false);  // one NAME=VALUE per --uniform: IMAGE is never taken for one
  app.add_flag("--check", check, "also run the CPU and fail (exit 1) on any difference from the GPU");
  app.add_flag("--labels", labels, "with a list of depths: a label strip under each tile (depth, levels, PSNR, SSIM)");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  UniformSettings s;
  s.gray = gray;
  s.seed = seed;
  std::vector<int> depths;
  if (!parseIntList(bitsText, depths)) return badInput("render", "--bits must be a number or a comma-separated list, got '" + bitsText + "'");
  if (!parseRounding(roundingText, s.rounding))
    return badInput("render", "unknown --rounding '" + roundingText + "' (nearest, truncate, stochastic, seed, user, drop)");
  if (!parseDither(ditherText, s.dither))
    return badInput("render", "unknown --dither '" + ditherText + "' (none, ordered, floyd-steinberg)");
  if (!channelBitsText.empty()) {
    std::vector<int> cb;
    if (!parseIntList(channelBitsText, cb) || cb.size() > 3)
      return badInput("render", "--channel-bits takes up to three numbers like 5,6,5, got '" + channelBitsText + "'");
    for (std::size_t i = 0; i < cb.size(); ++i) s.channelBits[i] = cb[i];
    if (depths.size() > 1) return badInput("render", "--channel-bits cannot be combined with a list of --bits");
  }
  if (backend != "cpu" && backend != "gpu" && backend != "auto")
    return badInput("render", "unknown --backend '" + backend + "' (cpu, gpu, auto)");
  gpu::GpuPath gpuPath = gpu::GpuPath::Compute;
  if (!gpuPathText.empty() && !gpu::parseGpuPath(gpuPathText, gpuPath))
    return badInput("render", "unknown --gpu-path '" + gpuPathText + "' (compute, fragment)");
  if (check && backend == "cpu") return badInput("render", "--check compares the GPU with the CPU; use --backend gpu or auto");
  // The user shader: GPU only, no CPU reference to check against; its file must be there.
  const bool user = s.rounding == Rounding::User;
  gpu::UserShader userSettings;
  std::string userFile;  // as the library will read it
  if (!user && (!userShader.empty() || !uniformItems.empty()))
    return badInput("render", std::string(userShader.empty() ? "--uniform" : "--user-shader") + " goes with --rounding user");
  if (user) {
    if (app.count("--backend") == 0) backend = "gpu";  // the only backend that runs it
    if (backend == "cpu") return badInput("render", cpuCanRun(s).error());
    if (check) return badInput("render", "--check compares the GPU with the CPU, and the user shader has no CPU version");
    if (!userShader.empty()) {
      std::error_code ec;
      const auto abs = std::filesystem::absolute(userShader, ec);
      userSettings.file = (ec ? std::filesystem::path(userShader) : abs).lexically_normal().string();
      userFile = userShader;
    } else {
      const std::string dir = shaderDir.empty() ? gpu::ShaderLibrary::defaultDir() : shaderDir;
      userFile = (std::filesystem::path(dir) / gpu::kUserQuantizerFile).lexically_normal().string();
    }
    // Bounded and regular files only, like #include and the explorer: /dev/zero, a FIFO or a link
    // to either is refused at once instead of read forever or waited on.
    auto bytes = readFile(userFile, gpu::kMaxUserShaderBytes);
    if (!bytes) {
      std::string why = bytes.error();  // "cannot read PATH: why" or "cannot open PATH: why"
      if (const auto at = why.find(userFile + ": "); at != std::string::npos) why = why.substr(at + userFile.size() + 2);
      return badInput("render", "cannot read the user quantizer " + userFile + ": " + why +
                                (userShader.empty() ? " (qviz workshop init DIR makes a shader folder with one)" : ""));
    }
    const std::string text(bytes->begin(), bytes->end());
    auto values = parseUniforms(uniformItems, gpu::parseAnnotations(text, userFile), userFile);
    if (!values) return badInput("render", values.error());
    userSettings.values = std::move(*values);
  }
  if (gpu::UniformQuantizerGpu::cpuOnly(s)) {
    if (backend == "gpu" || check)
      return badInput("render", "Floyd-Steinberg dithering is serial error diffusion and runs on the CPU only "
                                "(use --backend cpu or auto)");
    if (backend == "auto") {
      std::fprintf(stderr, "qviz render: note: Floyd-Steinberg dithering runs on the CPU only; using the CPU\n");
      backend = "cpu";
    }
  }
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

  // The GPU: a headless context, or the CPU when auto cannot make one.
  GpuRender g;
  if (backend != "cpu") {
    gpu::SessionOptions so;
    so.shaderDir = shaderDir;
    so.debug = check;  // --check also turns GL errors into failures
    auto session = gpu::GpuSession::openHeadless(so);
    if (!session) {
      if (backend == "gpu" || check || user)
        return badInput("render", "no GPU context: " + session.error() + (user ? " (the user shader runs on the GPU only)" : ""));
      std::fprintf(stderr, "qviz render: note: no GPU context (%s); using the CPU\n", session.error().c_str());
      backend = "cpu";
    } else {
      g.session = std::move(*session);
      g.path = gpuPathText.empty() ? g.session->context().defaultPath() : gpuPath;
      if (auto st = g.session->context().supports(g.path); !st) return badInput("render", st.error());
    }
  }
  // The fragment path renders into a texture: an image over the GPU's texture limit (16385-32768
  // pixels a side) runs on the CPU, with a notice, unless only the GPU can do what was asked.
  if (g.session && g.path == gpu::GpuPath::Fragment) {
    const int maxSize = g.session->context().caps().maxTextureSize;
    if (original.width > maxSize || original.height > maxSize) {
      const std::string why = "the image (" + std::to_string(original.width) + "x" + std::to_string(original.height) +
                              ") is larger than this GPU's texture limit of " + std::to_string(maxSize) +
                              ", which the fragment path needs";
      if (check || user) return badInput("render", why + (user ? " (the user shader runs on the GPU only; try --gpu-path compute)" : ""));
      std::fprintf(stderr, "qviz render: note: %s; using the CPU\n", why.c_str());
      g.session.reset();
      backend = "cpu";
    }
  }
  if (g.session) {
    const gpu::GpuEnv env = g.session->env();
    g.quantizer = std::make_unique<gpu::UniformQuantizerGpu>(env);
    if (user) g.quantizer->setUserShader(userSettings);
    g.errorStats = std::make_unique<gpu::ErrorStatsGpu>(env);
    g.ssim = std::make_unique<gpu::SsimGpu>(env);
    if (auto st = g.original.upload(original); !st) return badInput("render", st.error());
    if (auto st = g.reference.upload(reference); !st) return badInput("render", st.error());
    backend = "gpu";
  }
  const std::string renderer = g.session ? g.session->context().caps().renderer : std::string();
  std::size_t mismatches = 0, compared = 0;
  std::string firstMismatch;

  std::vector<Image> tiles;
  if (depths.size() > 1) tiles.push_back(reference);
  Json metrics = Json::array();
  for (int bits : depths) {
    s.bits = bits;
    if (auto st = validateUniform(original, s); !st) return badInput("render", st.error());
    Image quantized;
    ImageMetrics m;
    double ms = 0;
    if (backend == "gpu") {
      auto r = renderOnGpu(g, original, reference, s);
      if (!r && user) return userShaderFailure(userFile, r.error());
      if (!r) return gpuFailure("the GPU render failed (" + renderer + ")", r.error());
      quantized = std::move(r->quantized);
      m = r->metrics;
      ms = r->ms;
      if (check) {
        Image cpu;
        if (auto st = quantizeUniformInto(reference, s, cpu); !st) return badInput("render", st.error());
        const ImageMetrics cm = computeMetrics(original, reference, cpu, s);
        const SampleComparison cmp = compareSamples(cpu, quantized);
        const std::size_t diff = cmp.comparable ? cmp.differing : std::max(cpu.sampleCount(), quantized.sampleCount());
        compared += cpu.sampleCount();
        mismatches += diff;
        std::string why;
        if (diff) why = std::to_string(diff) + " samples differ";
        else if (cm.mse != m.mse || cm.maxAbsError != m.maxAbsError) why = "the error sums differ";
        else if (cm.ssim.has_value() != m.ssim.has_value() ||
                 (cm.ssim && std::abs(*cm.ssim - *m.ssim) > gpu::kSsimTolerance))
          why = "SSIM differs beyond " + std::to_string(gpu::kSsimTolerance);
        if (!why.empty()) {
          if (firstMismatch.empty()) firstMismatch = std::to_string(bits) + " bits: " + why;
        }
      }
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      if (auto st = quantizeUniformInto(reference, s, quantized); !st) return badInput("render", st.error());
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      m = computeMetrics(original, reference, quantized, s);
    }
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
    if (user) {
      j["user_shader"] = userFile;
      j["uniforms"] = userSettings.values;
    }
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
    j["renderer"] = renderer.empty() ? Json(nullptr) : Json(renderer);
    if (backend == "gpu") j["gpu_path"] = gpu::gpuPathName(g.path);
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
  // The PNG and the metrics as one set: both appear, or neither changes.
  auto png = encodePng(result);
  if (!png) return badInput("render", "cannot write " + out + ": " + png.error());
  OutputSet outputs;
  if (auto st = outputs.add(out, png->data(), png->size()); !st) return badInput("render", st.error());
  if (!metricsPath.empty()) {
    const Json& doc = depths.size() > 1 ? metrics : metrics.front();
    if (auto st = outputs.add(metricsPath, doc.dump(2) + "\n"); !st) return badInput("render", st.error());
  }
  if (auto st = outputs.commit(); !st) return badInput("render", st.error());
  if (check) {
    if (!firstMismatch.empty()) {
      std::fprintf(stderr, "qviz render: check failed: %zu of %zu samples differ between the GPU (%s, %s path) and the CPU; first: %s\n",
                   mismatches, compared, renderer.c_str(), gpu::gpuPathName(g.path), firstMismatch.c_str());
      return kExitCheckFailed;
    }
    std::fprintf(stderr, "qviz render: check passed: %zu samples identical on the GPU (%s, %s path) and the CPU\n",
                 compared, renderer.c_str(), gpu::gpuPathName(g.path));
  }
  return kExitOk;
}

}  // namespace qviz::cli
