// `qviz lora` through the real binary: the default run reaches the SVD floor, the files and the
// summary, the .npy dump, --force, and bad input exiting 2 with one line and nothing written.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_harness.hpp"
#include "image/image_io.hpp"
#include "lora/lora_problem.hpp"
#include "tensor/npy.hpp"

using namespace qviz::test;
using Json = nlohmann::json;

namespace {
const std::vector<std::string> kFiles = {"base_nf4.png",    "delta.png",  "adapted.png",  "target.png",
                                         "svd_optimum.png", "merged_requantized.png", "merged_16bit.png",
                                         "loss.csv",        "summary.json"};
const std::vector<std::string> kNpy = {"base.npy", "base_dequant.npy", "target.npy", "delta.npy", "lora_A.npy", "lora_B.npy"};

std::vector<std::string> csvLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

bool oneErrorLine(const RunResult& r) {
  return r.err.rfind("qviz lora: error: ", 0) == 0 && r.err.find('\n') == r.err.size() - 1;
}
}  // namespace

TEST_CASE("lora: the default run ends within 1% of the SVD floor and writes every file") {
  const std::string dir = freshDir("lora_default");
  const auto r = runQviz({"lora", "--out-dir", dir});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.empty());
  for (const auto& f : kFiles) CHECK(fileExists(dir + "/" + f));
  for (const auto& f : kNpy) CHECK(!fileExists(dir + "/" + f));
  const auto j = Json::parse(readText(dir + "/summary.json"));
  for (const char* key : {"rank", "alpha", "scaling", "steps", "final_loss", "svd_optimum_loss", "gap_percent",
                          "merge_loss", "merge_16bit_loss", "trainable_params", "frozen_params", "trainable_percent",
                          "elapsed_ms"})
    CHECK(j.contains(key));
  CHECK(j["rank"] == 8);
  CHECK(double(j["alpha"]) == 8.0);
  CHECK(double(j["scaling"]) == 1.0);
  CHECK(j["steps"] == 300);
  CHECK(j["optimizer"] == "adam");
  CHECK(j["width"] == 640);
  CHECK(j["height"] == 427);
  CHECK(j["trainable_params"] == 3 * 8 * (640 + 427));
  CHECK(j["frozen_params"] == 3 * 640 * 427);
  CHECK(j["trainable_params_per_channel"] == 8 * (640 + 427));
  CHECK(j["frozen_params_per_channel"] == 640 * 427);
  CHECK(double(j["bytes"]["base_fp32"]) == 4.0 * 3 * 640 * 427);
  CHECK(double(j["bytes"]["base_nf4"]) == Approx(3 * 640 * 427 * 4.5 / 8).epsilon(1e-3));
  CHECK(double(j["bytes"]["optimizer_states_fp32"]) == 8.0 * 3 * 8 * (640 + 427));
  CHECK(double(j["bytes"]["merged_16bit"]) == 2.0 * 3 * 640 * 427);
  CHECK(double(j["bytes"]["merged_nf4"]) == double(j["bytes"]["base_nf4"]));
  // PEFT's convention: 25608 / (25608 + 819840) = 3.0290...%
  CHECK(double(j["trainable_percent"]) == Approx(100.0 * 25608 / (25608 + 819840)).epsilon(1e-12));
  const double fin = j["final_loss"], floor = j["svd_optimum_loss"], gap = j["gap_percent"];
  CHECK(floor > 0);
  CHECK(gap < 1.0);
  CHECK(gap > -1e-3);
  CHECK(gap == Approx(100 * (fin - floor) / floor).epsilon(1e-9));
  CHECK(double(j["merge_loss"]) > fin);
  CHECK(double(j["initial_loss"]) > fin);
  CHECK(double(j["elapsed_ms"]) > 0);

  const auto lines = csvLines(readText(dir + "/loss.csv"));
  REQUIRE(lines.size() == 302);
  CHECK(lines[0] == "step,loss");
  CHECK(lines[1].rfind("0,", 0) == 0);
  CHECK(lines[301].rfind("300,", 0) == 0);
  CHECK(std::stod(lines[1].substr(2)) == Approx(double(j["initial_loss"])).epsilon(1e-8));
  CHECK(std::stod(lines[301].substr(4)) == Approx(fin).epsilon(1e-8));

  for (const auto& f : {"base_nf4.png", "delta.png", "adapted.png", "target.png", "svd_optimum.png",
                        "merged_requantized.png", "merged_16bit.png"}) {
    const auto img = qviz::core::loadImage(dir + "/" + f);
    REQUIRE(img.ok());
    CHECK(img->width == 640);
    CHECK(img->height == 427);
    CHECK(img->channels == 3);
  }
}

TEST_CASE("lora: --dump-npy writes the tensors, consistent with each other") {
  const std::string dir = freshDir("lora_npy");
  const auto r = runQviz({"lora", "--base", dataPath("chelsea.png"), "--target", dataPath("astronaut.png"), "--rank",
                          "4", "--alpha", "8", "--steps", "20", "--blocksize", "128", "--double-quant", "--seed", "7",
                          "--out-dir", dir, "--dump-npy"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  for (const auto& f : kNpy) REQUIRE(fileExists(dir + "/" + f));
  using qviz::core::readNpy;
  const auto base = readNpy(dir + "/base.npy").value();
  const auto dq = readNpy(dir + "/base_dequant.npy").value();
  const auto target = readNpy(dir + "/target.npy").value();
  const auto delta = readNpy(dir + "/delta.npy").value();
  const auto a = readNpy(dir + "/lora_A.npy").value();
  const auto b = readNpy(dir + "/lora_B.npy").value();
  const std::vector<std::size_t> planes = {3, 300, 451};
  CHECK(base.shape == planes);
  CHECK(dq.shape == planes);
  CHECK(target.shape == planes);
  CHECK(delta.shape == planes);
  CHECK(a.shape == std::vector<std::size_t>{3, 4, 451});
  CHECK(b.shape == std::vector<std::size_t>{3, 300, 4});
  const auto bv = qviz::core::toFloat32(base), dv = qviz::core::toFloat32(delta), av = qviz::core::toFloat32(a),
             bb = qviz::core::toFloat32(b);
  // base.npy is the image mapped to v/127.5 - 1.
  const auto img = qviz::core::loadImage(dataPath("chelsea.png")).value();
  CHECK(bv[0] == float(img.u8[0]) / 127.5f - 1.0f);
  CHECK(bv[300 * 451] == float(img.u8[1]) / 127.5f - 1.0f);
  // delta = (alpha / r) B A, checked at a few entries of channel 2.
  for (const auto& [y, x] : {std::pair{0, 0}, {150, 200}, {299, 450}}) {
    double sum = 0;
    for (std::size_t k = 0; k < 4; ++k)
      sum += double(bb[(2 * 300 + std::size_t(y)) * 4 + k]) * double(av[(2 * 4 + k) * 451 + std::size_t(x)]);
    CHECK(dv[(2 * 300 + std::size_t(y)) * 451 + std::size_t(x)] == Approx(2.0 * sum).margin(1e-5));
  }
  const auto j = Json::parse(readText(dir + "/summary.json"));
  CHECK(j["blocksize"] == 128);
  CHECK(j["double_quant"] == true);
  CHECK(j["seed"] == 7);
  CHECK(double(j["scaling"]) == 2.0);

  // Both merge losses are what the merged matrices give, recomputed from the dumped tensors.
  using namespace qviz::core;
  LoraPlanes bp = LoraPlanes::make(300, 451), dqp = bp, dp = bp, tp = bp;
  bp.data = bv;
  dqp.data = toFloat32(dq);
  dp.data = dv;
  tp.data = toFloat32(target);
  const LoraPlanes merged16 = roundToBfloat16(add(roundToBfloat16(bp), dp));
  CHECK(double(j["merge_16bit_loss"]) == meanSquaredError(merged16, tp));
  BlockwiseSettings nf4;
  nf4.blocksize = 128;
  nf4.doubleQuant = true;
  const LoraPlanes merged4 = quantizeDequantizePlanes(add(dqp, dp), nf4).value();
  CHECK(double(j["merge_loss"]) == meanSquaredError(merged4, tp));
  CHECK(double(j["adapted_loss"]) == meanSquaredError(add(dqp, dp), tp));
  // The 16-bit merge differs from the trained model (frozen + delta) by the NF4 error of the base
  // (base - frozen), up to the two bf16 roundings (half a bf16 step each: at most 2^-7 below |4|).
  double worst = 0;
  for (std::size_t i = 0; i < merged16.size(); ++i)
    worst = std::max(worst, std::abs(double(merged16.data[i]) - double(dqp.data[i] + dp.data[i]) -
                                     double(bp.data[i] - dqp.data[i])));
  CHECK(worst <= 1.0 / 64);
}

TEST_CASE("lora: existing files need --force; --rsl and sgd") {
  const std::string dir = freshDir("lora_force");
  const std::vector<std::string> args = {"lora",    "--base", dataPath("chelsea.png"), "--target", dataPath("astronaut.png"),
                                         "--steps", "5",      "--out-dir",             dir};
  REQUIRE(runQviz(args).exitCode == 0);
  const std::string summary = readText(dir + "/summary.json");
  auto again = args;
  again.insert(again.end(), {"--rank", "2"});
  const auto r = runQviz(again);
  CHECK(r.exitCode == 2);
  CHECK(oneErrorLine(r));
  CHECK(r.err.find("--force") != std::string::npos);
  CHECK(readText(dir + "/summary.json") == summary);  // untouched
  again.insert(again.end(), {"--force", "--rsl", "--alpha", "4", "--optimizer", "sgd"});
  const auto f = runQviz(again);
  INFO(f.err);
  REQUIRE(f.exitCode == 0);
  const auto j = Json::parse(readText(dir + "/summary.json"));
  CHECK(j["rank"] == 2);
  CHECK(j["rsl"] == true);
  CHECK(double(j["scaling"]) == Approx(4.0 / std::sqrt(2.0)).epsilon(1e-6));
  CHECK(j["optimizer"] == "sgd");
  CHECK(double(j["lr"]) == 300.0);
  CHECK(j["steps"] == 5);
}

TEST_CASE("lora: the run does not depend on the number of threads") {
  std::vector<std::string> csv;
  for (const char* threads : {"1", "3"}) {
    const std::string dir = freshDir(std::string("lora_threads_") + threads);
    const auto r = runQviz({"lora", "--base", dataPath("chelsea.png"), "--target", dataPath("astronaut.png"), "--steps",
                            "40", "--out-dir", dir},
                           {std::string("QVIZ_THREADS=") + threads});
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    csv.push_back(readText(dir + "/loss.csv"));
  }
  CHECK(csv[0].size() > 40 * 10);
  CHECK(csv[0] == csv[1]);
}

TEST_CASE("lora: bad input exits 2 with one line and writes nothing") {
  const std::string dir = freshDir("lora_bad");
  writeBytes(dir + "/text.png", "not an image\n");
  writeBytes(dir + "/afile", "x");
  std::filesystem::create_directories(dir + "/in");
  writeBytes(dir + "/in/target.png", readText(dataPath("chelsea.png")));  // an output name used as the input
  const std::string base = dataPath("chelsea.png"), target = dataPath("astronaut.png");
  const std::string out = dir + "/out";
  const std::vector<std::vector<std::string>> cases = {
      {"lora", "--base", dir + "/missing.png", "--target", target, "--out-dir", out},
      {"lora", "--base", base, "--target", dir + "/missing.png", "--out-dir", out},
      {"lora", "--base", dir + "/text.png", "--target", target, "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--rank", "0", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--rank", "301", "--out-dir", out},  // min(300, 451) = 300
      {"lora", "--base", base, "--target", target, "--rank", "eight", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--optimizer", "adamw", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--blocksize", "48", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--steps", "-1", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--lr", "0", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--alpha", "-1", "--out-dir", out},
      {"lora", "--base", base, "--target", target, "--out-dir", dir + "/afile"},
      {"lora", "--base", dir + "/in/target.png", "--target", target, "--out-dir", dir + "/in", "--force"},
      {"lora", "--base", base, "--target", target},
      {"lora", "--base", base, "--target", target, "--out-dir", out, "--bogus"},
  };
  for (const auto& args : cases) {
    const auto r = runQviz(args);
    std::string line;
    for (const auto& a : args) line += a + " ";
    INFO(line << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(oneErrorLine(r));
    CHECK(!fileExists(out));
  }
  // Divergence is reported, not written.
  const auto d = runQviz({"lora", "--base", base, "--target", target, "--optimizer", "sgd", "--lr", "1e12",
                          "--steps", "50", "--out-dir", out});
  CHECK(d.exitCode == 2);
  CHECK(oneErrorLine(d));
  CHECK(d.err.find("diverged") != std::string::npos);
  CHECK(!fileExists(out + "/summary.json"));
}
