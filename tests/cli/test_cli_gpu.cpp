// The real `qviz` binary on the GPU (llvmpipe through EGL surfaceless): render --backend gpu/auto,
// --check, the Floyd-Steinberg rule, shader errors as file:line, selftest exit codes, and the GPU
// benchmarks, including what happens without any GL context (QVIZ_NO_GPU=1).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"
#include "image/image_io.hpp"
#include "quant/format_table.hpp"
#include "tensor/npy.hpp"

using namespace qviz::test;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> gpuEnv() {
  return {"LIBGL_ALWAYS_SOFTWARE=1", "GALLIUM_DRIVER=llvmpipe",
          std::string("MESA_SHADER_CACHE_DIR=") + QVIZ_WORK_DIR + "/mesa_cache"};
}
const std::vector<std::string> kNoGpu = {"QVIZ_NO_GPU=1"};

// A copy of the shader tree with `from` replaced by `to` in one file; returns the directory.
std::string editedShaders(const std::string& name, const std::string& file, const std::string& from, const std::string& to) {
  const std::string dir = freshDir(name) + "/shaders";
  fs::copy(std::string(QVIZ_SOURCE_DIR) + "/shaders", dir, fs::copy_options::recursive);
  std::string text = readText(dir + "/" + file);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  writeBytes(dir + "/" + file, text);
  return dir;
}
}  // namespace

TEST_CASE("render --backend gpu: same image and metrics as the CPU, backend and renderer recorded") {
  const std::string dir = freshDir("gpu_render");
  const auto cpu = runQviz({"render", dataPath("astronaut.png"), "--bits", "3", "--out", dir + "/c.png", "--metrics", dir + "/c.json"});
  REQUIRE(cpu.exitCode == 0);
  const auto r = runQviz({"render", dataPath("astronaut.png"), "--bits", "3", "--backend", "gpu", "--out", dir + "/g.png",
                          "--metrics", dir + "/g.json"},
                         gpuEnv());
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(readText(dir + "/g.png") == readText(dir + "/c.png"));
  const auto g = Json::parse(readText(dir + "/g.json")), c = Json::parse(readText(dir + "/c.json"));
  CHECK(g["backend"] == "gpu");
  CHECK(g["gpu_path"] == "compute");
  CHECK(std::string(g["renderer"]).find("llvmpipe") != std::string::npos);
  CHECK(c["backend"] == "cpu");
  CHECK(c["renderer"].is_null());
  CHECK(g["mse"] == c["mse"]);  // exact integer sums on both sides
  CHECK(g["max_abs_error"] == c["max_abs_error"]);
  CHECK(double(g["ssim"]) == Approx(double(c["ssim"])).margin(1e-5));
}

TEST_CASE("render --check passes on both GPU paths for every mode") {
  const std::string dir = freshDir("gpu_check");
  const std::vector<std::vector<std::string>> modes = {
      {"--bits", "8,4,2,1"},
      {"--rounding", "stochastic", "--seed", "9", "--bits", "2"},
      {"--rounding", "truncate", "--bits", "3"},
      {"--rounding", "seed", "--bits", "5"},
      {"--rounding", "drop", "--bits", "3"},
      {"--dither", "ordered", "--bits", "1"},
      {"--gray", "--bits", "3"},
      {"--channel-bits", "5,6,5"},
  };
  for (const char* path : {"compute", "fragment"})
    for (const auto& mode : modes) {
      std::vector<std::string> args = {"render", dataPath("chelsea.png"), "--backend", "gpu", "--gpu-path", path, "--check",
                                       "--out", dir + "/o.png"};
      args.insert(args.end(), mode.begin(), mode.end());
      const auto r = runQviz(args, gpuEnv());
      INFO(path << " " << mode[0] << ": " << r.err);
      CHECK(r.exitCode == 0);
      CHECK(r.err.find("check passed") != std::string::npos);
    }
}

TEST_CASE("render --check fails with exit 1 and the count when the GPU disagrees") {
  // A wrong shader: truncation instead of round-half-even for nearest.
  const std::string shaders = editedShaders("gpu_check_bad", "common/quant.glsl",
                                            "if (rounding == ROUND_NEAREST) return clampCode(roundEven(s), levels);",
                                            "if (rounding == ROUND_NEAREST) return clampCode(floor(s), levels);");
  const auto r = runQviz({"render", dataPath("chelsea.png"), "--backend", "gpu", "--check", "--shader-dir", shaders,
                          "--out", freshDir("gpu_check_bad_out") + "/o.png"},
                         gpuEnv());
  INFO(r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("check failed: ") != std::string::npos);
  CHECK(r.err.find(" samples differ") != std::string::npos);
}

TEST_CASE("Floyd-Steinberg: --backend gpu is an error, auto falls back to the CPU") {
  const std::string dir = freshDir("gpu_fs");
  const auto gpu = runQviz({"render", dataPath("chelsea.png"), "--dither", "floyd-steinberg", "--backend", "gpu", "--out", dir + "/o.png"}, gpuEnv());
  CHECK(gpu.exitCode == 2);
  CHECK(gpu.err.rfind("qviz render: error: ", 0) == 0);
  CHECK(gpu.err.find("CPU only") != std::string::npos);
  CHECK(!fileExists(dir + "/o.png"));
  const auto autoRun = runQviz({"render", dataPath("chelsea.png"), "--dither", "floyd-steinberg", "--backend", "auto", "--out",
                                dir + "/o.png", "--metrics", dir + "/m.json"},
                               gpuEnv());
  INFO(autoRun.err);
  CHECK(autoRun.exitCode == 0);
  CHECK(Json::parse(readText(dir + "/m.json"))["backend"] == "cpu");
}

TEST_CASE("without a GL context: auto uses the CPU, gpu and --check exit 2, selftest exits 2") {
  const std::string dir = freshDir("gpu_none");
  const auto a = runQviz({"render", dataPath("chelsea.png"), "--backend", "auto", "--out", dir + "/o.png", "--metrics", dir + "/m.json"}, kNoGpu);
  CHECK(a.exitCode == 0);
  CHECK(a.err.find("no GPU context") != std::string::npos);
  CHECK(Json::parse(readText(dir + "/m.json"))["backend"] == "cpu");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"render", dataPath("chelsea.png"), "--backend", "gpu", "--out", dir + "/p.png"},
        std::vector<std::string>{"render", dataPath("chelsea.png"), "--backend", "auto", "--check", "--out", dir + "/p.png"}}) {
    const auto r = runQviz(args, kNoGpu);
    CHECK(r.exitCode == 2);
    CHECK(r.err.find("no GPU context") != std::string::npos);
  }
  const auto s = runQviz({"selftest"}, kNoGpu);
  CHECK(s.exitCode == 2);
  CHECK(s.err.find("no GPU context") != std::string::npos);
}

TEST_CASE("usage errors of the GPU options exit 2 with one line") {
  const std::string dir = freshDir("gpu_usage");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"render", dataPath("chelsea.png"), "--backend", "gpu", "--gpu-path", "vertex", "--out", dir + "/o.png"},
        std::vector<std::string>{"render", dataPath("chelsea.png"), "--check", "--out", dir + "/o.png"},
        std::vector<std::string>{"render", dataPath("chelsea.png"), "--backend", "gpu", "--shader-dir", dir + "/none", "--out", dir + "/o.png"},
        std::vector<std::string>{"selftest", "--gpu-path", "sideways"}}) {
    const auto r = runQviz(args, gpuEnv());
    INFO(args[1] << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("a shader compile error prints file:line of the user's file and exits 2") {
  const std::string shaders = editedShaders("gpu_shader_error", "common/quant.glsl", "  x ^= x >> 15;\n",
                                            "  x ^= x >> 15;\n  x += undefined_thing;\n");
  const int line = lineOf(shaders + "/common/quant.glsl", "undefined_thing");
  REQUIRE(line > 0);
  const std::string want = shaders + "/common/quant.glsl:" + std::to_string(line) + ": error: ";
  for (const char* path : {"compute", "fragment"}) {
    const auto r = runQviz({"render", dataPath("chelsea.png"), "--backend", "gpu", "--gpu-path", path, "--shader-dir", shaders,
                            "--out", freshDir("gpu_shader_error_out") + "/o.png"},
                           gpuEnv());
    INFO(path << ": " << r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.find(want) != std::string::npos);
  }
  // QVIZ_SHADER_DIR does the same as --shader-dir.
  auto env = gpuEnv();
  env.push_back("QVIZ_SHADER_DIR=" + shaders);
  const auto r = runQviz({"render", dataPath("chelsea.png"), "--backend", "gpu", "--out", freshDir("gpu_shader_env") + "/o.png"}, env);
  CHECK(r.exitCode == 2);
  CHECK(r.err.find(want) != std::string::npos);
}

TEST_CASE("selftest: every kernel agrees with the CPU, with the renderer in the table") {
  const auto r = runQviz({"selftest"}, gpuEnv());
  INFO(r.out << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("renderer: llvmpipe") != std::string::npos);
  CHECK(r.out.find("FAIL") == std::string::npos);
  for (const char* kernel : {"uniform quantizer", "error map", "histogram", "error stats", "SSIM"}) CHECK(r.out.find(kernel) != std::string::npos);
  for (const char* path : {" compute ", " fragment "}) CHECK(r.out.find(path) != std::string::npos);
  const auto frag = runQviz({"selftest", "--gpu-path", "fragment"}, gpuEnv());
  CHECK(frag.exitCode == 0);
  CHECK(frag.out.find("skip") != std::string::npos);
}

TEST_CASE("selftest exits 1 when a kernel disagrees") {
  const std::string shaders = editedShaders("gpu_selftest_bad", "common/error_map.glsl", "min(255u, (uint(abs(e)) * gain) >> shift)",
                                            "min(254u, (uint(abs(e)) * gain) >> shift)");
  const auto r = runQviz({"selftest", "--shader-dir", shaders}, gpuEnv());
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.out.find("FAIL") != std::string::npos);
  CHECK(r.err.find("disagree") != std::string::npos);
}

TEST_CASE("bench: the GPU suite reports its results and renderer, and skips without a context") {
  const std::string dir = freshDir("gpu_bench");
  const auto r = runQviz({"bench", "--quick", "--filter", "_4k", "--bandwidth", "20", "--json", dir + "/b.json"}, gpuEnv());
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(readText(dir + "/b.json"));
  CHECK(std::string(j["renderer"]).find("llvmpipe") != std::string::npos);
  std::vector<std::string> names;
  for (const auto& e : j["results"]) {
    names.push_back(e["name"]);
    CHECK(double(e["ms"]) > 0);
    CHECK(e.contains("bandwidth_fraction"));
  }
  for (const char* want : {"uniform_gpu_4k", "uniform_gpu_fragment_4k", "uniform_gpu_naive_4k", "upload_4k", "readback_4k"})
    CHECK(std::find(names.begin(), names.end(), want) != names.end());
  const auto none = runQviz({"bench", "--quick", "--filter", "gpu", "--json", dir + "/n.json"}, kNoGpu);
  CHECK(none.exitCode == 0);
  CHECK(none.err.find("GPU benchmarks skipped") != std::string::npos);
  CHECK(Json::parse(readText(dir + "/n.json"))["results"].empty());
}

TEST_CASE("quantize-tensor --backend gpu: the same files as the CPU, backend and renderer recorded") {
  const std::string dir = freshDir("gpu_tensor");
  for (const char* fmt : {"nf4", "q4_0", "uint4"}) {
    INFO(fmt);
    std::vector<std::string> base = {"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", fmt};
    if (std::string(fmt) == "nf4") base.push_back("--double-quant");
    auto cpuArgs = base, gpuArgs = base;
    cpuArgs.insert(cpuArgs.end(), {"--out-dir", dir + "/cpu_" + fmt});
    gpuArgs.insert(gpuArgs.end(), {"--backend", "gpu", "--check", "--out-dir", dir + "/gpu_" + fmt});
    REQUIRE(runQviz(cpuArgs).exitCode == 0);
    const auto r = runQviz(gpuArgs, gpuEnv());
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(r.err.find("check passed") != std::string::npos);
    const auto g = Json::parse(readText(dir + "/gpu_" + fmt + "/summary.json"));
    const auto c = Json::parse(readText(dir + "/cpu_" + fmt + "/summary.json"));
    CHECK(g["backend"] == "gpu");
    CHECK(std::string(g["renderer"]).find("llvmpipe") != std::string::npos);
    CHECK(g["check_mismatches"] == 0);
    CHECK(c["backend"] == "cpu");
    CHECK(c["renderer"].is_null());
    for (const auto& name : c["files"]) {
      if (name == "summary.json") continue;
      INFO(std::string(name));
      CHECK(readText(dir + "/gpu_" + fmt + "/" + std::string(name)) == readText(dir + "/cpu_" + fmt + "/" + std::string(name)));
    }
  }
}

TEST_CASE("quantize-tensor --check fails with exit 1 and the count when the GPU disagrees") {
  const std::string shaders = editedShaders("gpu_tensor_bad", "quantize_blockwise.comp", "uint code = u_map[c];",
                                            "uint code = u_map[min(c + 1u, 15u)];");
  const auto r = runQviz({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "nf4", "--backend", "gpu",
                          "--check", "--shader-dir", shaders, "--out-dir", freshDir("gpu_tensor_bad_out") + "/o"},
                         gpuEnv());
  INFO(r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.err.find("check failed: ") != std::string::npos);
  CHECK(r.err.find(" mismatches") != std::string::npos);
}

TEST_CASE("quantize-tensor without a GL context: auto uses the CPU, gpu and --check exit 2") {
  const std::string dir = freshDir("gpu_tensor_none");
  const auto a = runQviz({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "fp4", "--backend", "auto",
                          "--out-dir", dir + "/a"},
                         kNoGpu);
  CHECK(a.exitCode == 0);
  CHECK(a.err.find("no GPU context") != std::string::npos);
  CHECK(Json::parse(readText(dir + "/a/summary.json"))["backend"] == "cpu");
  const auto g = runQviz({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "fp4", "--backend", "gpu",
                          "--out-dir", dir + "/g"},
                         kNoGpu);
  CHECK(g.exitCode == 2);
  const auto c = runQviz({"quantize-tensor", dataPath("vectors/normal_4096.npy"), "--format", "fp4", "--check", "--out-dir",
                          dir + "/c"});
  CHECK(c.exitCode == 2);  // --check needs --backend gpu or auto
}

TEST_CASE("bench: the GPU nf4 tensor results, with bytes and bandwidth fraction") {
  const std::string dir = freshDir("gpu_bench_nf4");
  const auto r = runQviz({"bench", "--quick", "--filter", "nf4_", "--bandwidth", "20", "--json", dir + "/b.json"}, gpuEnv());
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(readText(dir + "/b.json"));
  std::vector<std::string> names;
  for (const auto& e : j["results"]) {
    names.push_back(e["name"]);
    CHECK(double(e["ms"]) > 0);
    CHECK(e.contains("bandwidth_fraction"));
  }
  for (const char* want : {"nf4_quantize_gpu_16m", "nf4_dequantize_gpu_16m"})
    CHECK(std::find(names.begin(), names.end(), want) != names.end());
  const auto none = runQviz({"bench", "--quick", "--filter", "nf4_quantize_gpu", "--json", dir + "/n.json"}, kNoGpu);
  CHECK(none.exitCode == 0);
  CHECK(none.err.find("GPU tensor benchmarks skipped") != std::string::npos);
  CHECK(Json::parse(readText(dir + "/n.json"))["results"].empty());
}

TEST_CASE("bench: the raw formats' GPU entries run or say why they are skipped") {
  const std::string dir = freshDir("gpu_bench_raw");
  const auto r = runQviz({"bench", "--quick", "--filter", "mxfp4_", "--json", dir + "/b.json"}, gpuEnv());
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  const auto j = Json::parse(readText(dir + "/b.json"));
  std::vector<std::string> names;
  for (const auto& e : j["results"]) names.push_back(e["name"]);
  auto has = [&](const char* n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  const qviz::core::FormatDesc* mx = qviz::core::findFormat(std::string_view("mxfp4"));
  REQUIRE(mx);
  if (mx->raw.quantize && mx->raw.dequantize) {
    CHECK(has("mxfp4_quantize_gpu_16m"));
    CHECK(has("mxfp4_dequantize_gpu_16m"));
  } else {
    CHECK(r.err.find("mxfp4 gpu skipped: no CPU codec for mxfp4 yet") != std::string::npos);
  }
}

TEST_CASE("render: an image over the texture limit falls back to the CPU on the fragment path, with a notice",
          "[untrusted]") {
  // Issue 15.9: 16385-32768 pixels wide failed on the fragment path ("larger than this GPU's texture
  // limit") instead of running on the CPU. llvmpipe's limit is 16384.
  const std::string dir = freshDir("render_wide");
  qviz::core::Image wide = qviz::core::Image::make(16385, 2, 1, qviz::core::SampleType::U8);
  for (std::size_t i = 0; i < wide.u8.size(); ++i) wide.u8[i] = std::uint8_t(i * 7);
  REQUIRE(qviz::core::savePng(wide, dir + "/wide.png").ok());
  const auto cpu = runQviz({"render", dir + "/wide.png", "--bits", "3", "--out", dir + "/cpu.png"});
  REQUIRE(cpu.exitCode == 0);
  const std::string note = "qviz render: note: the image (16385x2) is larger than this GPU's texture limit of 16384, "
                           "which the fragment path needs; using the CPU\n";
  for (const char* backend : {"auto", "gpu"}) {
    const auto r = runQviz({"render", dir + "/wide.png", "--bits", "3", "--backend", backend, "--gpu-path", "fragment",
                            "--out", dir + "/frag.png", "--metrics", dir + "/m.json"},
                           gpuEnv());
    INFO(backend << ": " << r.err);
    CHECK(r.exitCode == 0);
    CHECK(r.err == note);
    CHECK(readText(dir + "/frag.png") == readText(dir + "/cpu.png"));
    CHECK(nlohmann::json::parse(readText(dir + "/m.json"))["backend"] == "cpu");
  }
  // --check has nothing to compare without the GPU: exit 2, nothing written.
  fs::remove(dir + "/frag.png");
  const auto check = runQviz({"render", dir + "/wide.png", "--bits", "3", "--backend", "gpu", "--gpu-path", "fragment",
                              "--check", "--out", dir + "/frag.png"},
                             gpuEnv());
  CHECK(check.exitCode == 2);
  CHECK(check.err == "qviz render: error: the image (16385x2) is larger than this GPU's texture limit of 16384, which "
                     "the fragment path needs\n");
  CHECK(!fileExists(dir + "/frag.png"));
  // The compute path has no such limit: the GPU renders it, identical to the CPU.
  const auto compute = runQviz({"render", dir + "/wide.png", "--bits", "3", "--backend", "gpu", "--gpu-path", "compute",
                                "--out", dir + "/comp.png"},
                               gpuEnv());
  CHECK(compute.exitCode == 0);
  CHECK(compute.err.empty());
  CHECK(readText(dir + "/comp.png") == readText(dir + "/cpu.png"));
}

TEST_CASE("quantize-tensor --backend gpu streams too: over one step of 4 Mi values, the same files as the CPU") {
  const std::string dir = freshDir("gpu_tensor_streamed");
  // 4 Mi + 4097 values: one full step, then a partial block and an odd length.
  const std::size_t n = (std::size_t(1) << 22) + 4097;
  std::vector<float> x(n);
  std::uint32_t state = 99;
  for (auto& v : x) {
    state = state * 1664525u + 1013904223u;
    v = float(state >> 8) / float(1 << 24) - 0.5f;
  }
  REQUIRE(qviz::core::writeNpy(dir + "/x.npy", qviz::core::tensorFromFloats({n}, x.data(), n)).ok());
  for (const char* fmt : {"nf4", "uint4", "q8_0"}) {
    INFO(fmt);
    const std::vector<std::string> base = {"quantize-tensor", dir + "/x.npy", "--format", fmt};
    auto cpuArgs = base, gpuArgs = base;
    cpuArgs.insert(cpuArgs.end(), {"--out-dir", dir + "/cpu_" + fmt});
    gpuArgs.insert(gpuArgs.end(), {"--backend", "gpu", "--check", "--out-dir", dir + "/gpu_" + fmt});
    REQUIRE(runQviz(cpuArgs).exitCode == 0);
    const auto r = runQviz(gpuArgs, gpuEnv());
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(r.err.find("check passed: " + std::to_string(n) + " values") != std::string::npos);
    const auto c = Json::parse(readText(dir + "/cpu_" + fmt + "/summary.json"));
    const auto g = Json::parse(readText(dir + "/gpu_" + fmt + "/summary.json"));
    CHECK(g["check_mismatches"] == 0);
    CHECK(g["mse"] == c["mse"]);
    for (const auto& name : c["files"]) {
      if (name == "summary.json") continue;
      INFO(std::string(name));
      CHECK(readText(dir + "/gpu_" + fmt + "/" + std::string(name)) == readText(dir + "/cpu_" + fmt + "/" + std::string(name)));
    }
  }
}

TEST_CASE("quantize-tensor --backend gpu --check: every raw block format, the same files as the CPU") {
  const std::string dir = freshDir("gpu_tensor_raw");
  // 48 rows of 80: a multiple of 256 values for ggml, rows of 80 for MX (a padded block per row)
  // and NVFP4 (5 blocks of 16 per row); a heavy value in one row.
  const std::size_t rows = 48, cols = 80, n = rows * cols;
  std::vector<float> x(n);
  std::uint32_t state = 7;
  for (auto& v : x) {
    state = state * 1664525u + 1013904223u;
    v = (float(state >> 8) / float(1 << 24) - 0.5f) * 3.0f;
  }
  x[1234] = 41.0f;
  REQUIRE(qviz::core::writeNpy(dir + "/x.npy", qviz::core::tensorFromFloats({rows, cols}, x.data(), n)).ok());
  std::size_t tested = 0;
  for (const qviz::core::FormatDesc& d : qviz::core::tensorFormats()) {
    if (!d.hasRawBlocks()) continue;
    const std::string fmt = d.name;
    INFO(fmt);
    const std::vector<std::string> base = {"quantize-tensor", dir + "/x.npy", "--format", fmt};
    auto cpuArgs = base, gpuArgs = base;
    cpuArgs.insert(cpuArgs.end(), {"--out-dir", dir + "/cpu_" + fmt});
    gpuArgs.insert(gpuArgs.end(), {"--backend", "gpu", "--check", "--out-dir", dir + "/gpu_" + fmt});
    REQUIRE(runQviz(cpuArgs).exitCode == 0);
    const auto r = runQviz(gpuArgs, gpuEnv());
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(r.err.find("check passed: " + std::to_string(n) + " values") != std::string::npos);
    CHECK(readText(dir + "/gpu_" + fmt + "/blocks.bin") == readText(dir + "/cpu_" + fmt + "/blocks.bin"));
    CHECK(readText(dir + "/gpu_" + fmt + "/dequant.npy") == readText(dir + "/cpu_" + fmt + "/dequant.npy"));
    ++tested;
  }
  CHECK(tested == 23);
}
