// `qviz lora`: train a low-rank delta on a frozen NF4 image base towards a target image, compare
// it with the best rank-r delta (truncated SVD), merge and re-quantize, and write the tiles, the
// loss curve and a summary (optionally the tensors as .npy).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "image/image_io.hpp"
#include "lora/lora_trainer.hpp"
#include "tensor/npy.hpp"
#include "util/assets.hpp"
#include "util/fs.hpp"

namespace qviz::cli {
namespace {
using namespace qviz::core;
using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int kMaxSide = 2048;  // the SVD of a larger base takes minutes: downscale first
constexpr int kMaxSteps = 1000000;

Status writeNpyPlanes(const std::string& path, const LoraPlanes& p) {
  return writeNpy(path, tensorFromFloats({3, std::size_t(p.rows), std::size_t(p.cols)}, p.data.data(), p.size()));
}

// The three channels' matrices of one factor as a (3, rows, cols) float32 array.
Status writeNpyFactor(const std::string& path, const std::array<LoraMatrix, 3>& m) {
  const std::size_t rows = std::size_t(m[0].rows()), cols = std::size_t(m[0].cols());
  std::vector<float> data;
  data.reserve(3 * rows * cols);
  for (const auto& x : m) data.insert(data.end(), x.data(), x.data() + x.size());
  return writeNpy(path, tensorFromFloats({3, rows, cols}, data.data(), data.size()));
}

std::string formatLoss(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
}  // namespace

int runLora(int argc, char** argv) {
  CLI::App app{"Train a LoRA delta on a frozen NF4 image base and compare it with the best rank-r delta", "lora"};
  std::string basePath = assetImagePath("rocket.jpg"), targetPath = assetImagePath("astronaut.png"), outDir,
              optimizerText = "adam";
  LoraSettings s;
  int steps = kLoraDefaultSteps, blocksize = 64;
  double lr = 0;
  bool doubleQuant = false, dumpNpy = false, force = false;
  app.add_option("--base", basePath, "the pre-trained base image (its NF4 quantization is frozen)")->capture_default_str();
  app.add_option("--target", targetPath, "the new data: resized (aspect kept, centre crop) to the base's size")->capture_default_str();
  app.add_option("--rank", s.rank, "adapter rank r, 1..min(height, width)")->capture_default_str();
  app.add_option("--alpha", s.alpha, "LoRA alpha: the delta is scaled by alpha/r (alpha/sqrt(r) with --rsl)")->capture_default_str();
  app.add_flag("--rsl", s.rsLora, "rank-stabilised scaling alpha/sqrt(r)");
  app.add_option("--lr", lr, "learning rate (default 0.05 for adam, 300 for sgd)");
  app.add_option("--optimizer", optimizerText, "adam | sgd")->capture_default_str();
  app.add_option("--steps", steps, "full-batch optimizer steps")->capture_default_str();
  app.add_option("--blocksize", blocksize, "NF4 block size (32, 64, ..., 4096)")->capture_default_str();
  app.add_flag("--double-quant", doubleQuant, "8-bit double quantization of the NF4 absmax");
  app.add_option("--seed", s.seed, "seed of the initialisation of A")->capture_default_str();
  app.add_option("--out-dir", outDir, "folder for the PNG tiles, loss.csv and summary.json (created)")->required();
  app.add_flag("--dump-npy", dumpNpy, "also write base, base_dequant, target, delta, lora_A and lora_B as .npy");
  app.add_flag("--force", force, "overwrite existing output files");
  app.footer(
      "Images map to v/127.5 - 1 per channel and back with clamp(roundEven((v + 1) * 127.5)).\n"
      "delta.png is signed, channel by channel: 0 is mid grey (128), +max|delta| is 255 and -max|delta| is 0\n"
      "(max|delta| is delta_range in summary.json).");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;

  if (!parseLoraOptimizer(optimizerText, s.optimizer))
    return badInput("lora", "unknown --optimizer '" + optimizerText + "' (adam, sgd)");
  if (app.count("--lr") == 0) lr = s.optimizer == LoraOptimizer::Adam ? kLoraDefaultAdamLr : kLoraDefaultSgdLr;
  s.lr = float(lr);
  if (!std::isfinite(lr) || !(s.lr > 0)) return badInput("lora", "--lr must be a positive number");
  if (s.rank < 1) return badInput("lora", "--rank must be at least 1, got " + std::to_string(s.rank));
  if (!std::isfinite(s.alpha) || !(s.alpha > 0)) return badInput("lora", "--alpha must be a positive number");
  if (steps < 0 || steps > kMaxSteps)
    return badInput("lora", "--steps must be between 0 and " + std::to_string(kMaxSteps));
  BlockwiseSettings quant;
  quant.format = TensorFormat::NF4;
  quant.blocksize = blocksize;
  quant.doubleQuant = doubleQuant;
  if (auto st = validateBlockwise(quant); !st) return badInput("lora", "--blocksize: " + st.error());

  // Every output, checked before any work so that a refusal writes nothing.
  std::vector<std::string> names = {"base_nf4.png",     "delta.png",          "adapted.png", "target.png",
                                    "svd_optimum.png", "merged_requantized.png", "loss.csv",  "summary.json"};
  if (dumpNpy)
    for (const char* n : {"base.npy", "base_dequant.npy", "target.npy", "delta.npy", "lora_A.npy", "lora_B.npy"})
      names.emplace_back(n);
  std::error_code ec;
  if (outDir.empty()) return badInput("lora", "--out-dir must not be empty");
  if (fs::exists(outDir, ec) && !fs::is_directory(outDir, ec))
    return badInput("lora", "--out-dir " + outDir + " exists and is not a folder");
  std::vector<std::string> paths;
  for (const auto& n : names) {
    const std::string p = (fs::path(outDir) / n).string();
    if (samePath(p, basePath) || samePath(p, targetPath))
      return badInput("lora", p + " is an input image; choose another --out-dir");
    if (!force && fs::exists(p, ec)) return badInput("lora", p + " exists; use --force to overwrite");
    paths.push_back(p);
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto baseImage = loadImage(basePath);
  if (!baseImage) return badInput("lora", baseImage.error());
  auto targetImage = loadImage(targetPath);
  if (!targetImage) return badInput("lora", targetImage.error());
  if (baseImage->width > kMaxSide || baseImage->height > kMaxSide)
    return badInput("lora", "the base is " + std::to_string(baseImage->width) + "x" +
                                std::to_string(baseImage->height) + "; at most " + std::to_string(kMaxSide) +
                                " pixels per side are supported (downscale it first)");
  auto base = imageToPlanes(*baseImage);
  if (!base) return badInput("lora", "base " + basePath + ": " + base.error());
  auto target = imageToPlanesCropped(*targetImage, base->rows, base->cols);
  if (!target) return badInput("lora", "target " + targetPath + ": " + target.error());
  if (auto st = validateLoraSettings(s, base->rows, base->cols); !st) return badInput("lora", st.error());

  auto problem = LoraProblem::create(std::move(*base), std::move(*target), quant);
  if (!problem) return badInput("lora", problem.error());
  auto trainer = LoraTrainer::create(*problem, s);
  if (!trainer) return badInput("lora", trainer.error());
  LoraTrainer& t = **trainer;
  const auto t1 = std::chrono::steady_clock::now();
  t.step(steps);
  const auto t2 = std::chrono::steady_clock::now();
  if (t.diverged())
    return badInput("lora", "training diverged at step " + std::to_string(t.stepsDone()) +
                                " (the loss is not finite); lower --lr");
  const LoraSnapshot snap = t.snapshot();
  if (!snap.mergeError.empty()) return badInput("lora", "merge and re-quantize: " + snap.mergeError);
  const auto t3 = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };

  const LoraCounts counts = t.counts();
  Json j;
  j["rank"] = s.rank;
  j["alpha"] = s.alpha;
  j["scaling"] = t.scaling();
  j["rsl"] = s.rsLora;
  j["optimizer"] = loraOptimizerName(s.optimizer);
  j["lr"] = lr;  // as given (s.lr is its float32)
  j["steps"] = t.stepsDone();
  j["seed"] = s.seed;
  j["blocksize"] = quant.blocksize;
  j["double_quant"] = quant.doubleQuant;
  j["width"] = (*problem)->cols();
  j["height"] = (*problem)->rows();
  j["initial_loss"] = snap.lossHistory.front();
  j["final_loss"] = snap.trainerLoss;
  j["svd_optimum_loss"] = snap.svdFloor;
  j["gap_percent"] = snap.gapPercent;
  j["merge_loss"] = snap.mergedRequantized.loss;
  j["adapted_loss"] = snap.adapted.loss;
  j["base_loss"] = snap.base.loss;
  j["base_nf4_loss"] = snap.frozenBase.loss;
  j["nf4_mse"] = snap.quantError.loss;
  j["delta_range"] = snap.deltaRange;
  j["trainable_params"] = counts.trainable;
  j["frozen_params"] = counts.frozen;
  j["trainable_params_per_channel"] = counts.trainablePerChannel;
  j["frozen_params_per_channel"] = counts.frozenPerChannel;
  j["bytes"] = {{"base_fp32", counts.baseFp32Bytes},        {"base_nf4", counts.baseQuantizedBytes},
                {"adapter_fp32", counts.adapterBytes},      {"gradients_fp32", counts.gradientBytes},
                {"optimizer_states_fp32", counts.optimizerBytes}, {"training_total", counts.trainingBytes()}};
  j["setup_ms"] = ms(t0, t1);
  j["train_ms"] = ms(t1, t2);
  j["elapsed_ms"] = ms(t0, t3);

  std::string csv = "step,loss\n";
  for (std::size_t i = 0; i < snap.lossHistory.size(); ++i)
    csv += std::to_string(i) + "," + formatLoss(snap.lossHistory[i]) + "\n";

  fs::create_directories(outDir, ec);
  if (std::error_code isDir; ec || !fs::is_directory(outDir, isDir))
    return badInput("lora", "cannot create --out-dir " + outDir + ": " + (ec ? ec : isDir).message());
  const std::vector<std::string> inputs = {basePath, targetPath};
  const std::pair<const char*, Image> pngs[] = {
      {"base_nf4.png", planesToImage(snap.frozenBase.planes)},
      {"delta.png", signedPlanesToImage(snap.delta.planes, snap.deltaRange)},
      {"adapted.png", planesToImage(snap.adapted.planes)},
      {"target.png", planesToImage(snap.target.planes)},
      {"svd_optimum.png", planesToImage(snap.svdOptimum.planes)},
      {"merged_requantized.png", planesToImage(snap.mergedRequantized.planes)},
  };
  for (const auto& [name, img] : pngs)
    if (auto st = savePng(img, (fs::path(outDir) / name).string(), inputs); !st) return badInput("lora", st.error());
  const std::string dir = outDir + "/";
  if (auto st = writeFileAtomic(dir + "loss.csv", csv); !st) return badInput("lora", st.error());
  if (dumpNpy) {
    std::array<LoraMatrix, 3> a, b;
    for (int c = 0; c < 3; ++c) {
      a[std::size_t(c)] = t.loraA(c);
      b[std::size_t(c)] = t.loraB(c);
    }
    for (const auto& [name, planes] : {std::pair<const char*, const LoraPlanes*>{"base.npy", &snap.base.planes},
                                       {"base_dequant.npy", &snap.frozenBase.planes},
                                       {"target.npy", &snap.target.planes},
                                       {"delta.npy", &snap.delta.planes}})
      if (auto st = writeNpyPlanes(dir + name, *planes); !st) return badInput("lora", st.error());
    if (auto st = writeNpyFactor(dir + "lora_A.npy", a); !st) return badInput("lora", st.error());
    if (auto st = writeNpyFactor(dir + "lora_B.npy", b); !st) return badInput("lora", st.error());
  }
  // The summary last: its presence means the run's files are complete.
  if (auto st = writeFileAtomic(dir + "summary.json", j.dump(2) + "\n"); !st) return badInput("lora", st.error());
  std::printf("lora: %dx%d rank %d, %d steps: loss %.6g, SVD floor %.6g (gap %.3f%%), merged into NF4 %.6g\n",
              (*problem)->cols(), (*problem)->rows(), s.rank, t.stepsDone(), snap.trainerLoss, snap.svdFloor,
              snap.gapPercent, snap.mergedRequantized.loss);
  return kExitOk;
}

}  // namespace qviz::cli
