// `qviz bench` entry quantize_tensor_rss_<size>: the peak resident memory of `qviz quantize-tensor`
// (nf4, blocksize 64, --backend cpu) on a generated float32 .npy in a temporary folder, run as a
// child process (this executable), against README's bound of 2x the input plus 300 MiB. The input
// is 1 GiB ("_1g"), 64 MiB with --quick ("_64m"), or QVIZ_BENCH_RSS_MIB MiB. The child reports the
// high-water mark of its own address space (VmHWM, read at its exit because QVIZ_PEAK_RSS_FILE is
// set): wait4's ru_maxrss would also count the pages of this process that a forked child maps
// until it calls exec.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cli/bench.hpp"
#include "tensor/npy.hpp"

namespace qviz::cli {
namespace {
namespace fs = std::filesystem;

// Writes a float32 .npy of `values` values (uniform in [-1, 1), 1 Mi random values repeated).
bool writeInput(const std::string& path, std::size_t values) {
  auto header = core::npyHeader(core::DType::F32, {values});
  if (!header) return false;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(header->data()), std::streamsize(header->size()));
  std::vector<float> block(std::size_t(1) << 20);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : block) v = u(rng);
  for (std::size_t done = 0; done < values;) {
    const std::size_t m = std::min(block.size(), values - done);
    out.write(reinterpret_cast<const char*>(block.data()), std::streamsize(m * sizeof(float)));
    done += m;
  }
  return bool(out);
}
}  // namespace

void benchQuantizeRss(BenchContext& ctx, std::vector<BenchResult>& out) {
  std::size_t mib = ctx.quick ? 64 : 1024;
  if (const char* env = std::getenv("QVIZ_BENCH_RSS_MIB"); env && std::atoi(env) > 0) mib = std::size_t(std::atoi(env));
  const std::string name = "quantize_tensor_rss_" + (mib % 1024 == 0 ? std::to_string(mib / 1024) + "g" : std::to_string(mib) + "m");
  if (!ctx.wants(name)) return;
  std::error_code ec;
  std::string tmpl = (fs::temp_directory_path(ec) / "qviz-bench-rss-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    std::fprintf(stderr, "qviz bench: %s skipped: cannot create a temporary folder: %s\n", name.c_str(), std::strerror(errno));
    return;
  }
  const std::string dir = tmpl, input = dir + "/t.npy", peakFile = dir + "/peak", outDir = dir + "/q";
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{dir};
  const std::size_t values = mib * (std::size_t(1) << 20) / sizeof(float);
  if (!writeInput(input, values)) {
    std::fprintf(stderr, "qviz bench: %s skipped: cannot write %s\n", name.c_str(), input.c_str());
    return;
  }
  std::vector<std::string> args = {"qviz", "quantize-tensor", input, "--format", "nf4", "--backend", "cpu", "--out-dir", outDir};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("QVIZ_PEAK_RSS_FILE", peakFile.c_str(), 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "qviz bench: %s failed: quantize-tensor exited with status %d\n", name.c_str(),
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return;
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  double peakKiB = 0;
  {
    std::ifstream in(peakFile);
    in >> peakKiB;
  }
  if (peakKiB <= 0) {
    std::fprintf(stderr, "qviz bench: %s failed: the child did not report its peak memory\n", name.c_str());
    return;
  }
  const double inputMiB = double(fs::file_size(input, ec)) / double(1 << 20);
  const double peakMiB = peakKiB / 1024.0, bound = 2.0 * inputMiB + 300.0;
  // Bytes moved: the input read once, codes (1 B), packed (0.5 B) and dequant (4 B) per value written.
  BenchResult r = makeResult(name, ms, double(values), double(values) * (4.0 + 5.5), ctx);
  r.extra["input_mib"] = inputMiB;
  r.extra["peak_rss_mib"] = peakMiB;
  r.extra["peak_rss_per_input"] = peakMiB / inputMiB;
  r.extra["bound_mib"] = bound;
  r.extra["within_bound"] = peakMiB <= bound;
  char note[200];
  std::snprintf(note, sizeof note, "peak RSS %.0f MiB for a %.0f MiB float32 input (%.3fx); bound 2x + 300 MiB = %.0f MiB: %s",
                peakMiB, inputMiB, peakMiB / inputMiB, bound, peakMiB <= bound ? "within" : "OVER");
  r.extra["note"] = note;
  out.push_back(std::move(r));
}

// QVIZ_PEAK_RSS_FILE (set by the benchmark above for its child): at exit, write VmHWM in KiB there.
void reportPeakRssAtExit() {
  if (!std::getenv("QVIZ_PEAK_RSS_FILE")) return;
  std::atexit([] {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmHWM:", 0) == 0) {
        std::ofstream(std::getenv("QVIZ_PEAK_RSS_FILE")) << std::strtoll(line.c_str() + 6, nullptr, 10) << "\n";
        return;
      }
  });
}

}  // namespace qviz::cli
