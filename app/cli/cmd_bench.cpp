// `qviz bench`: runs every registered suite, prints a table and optionally writes JSON
// {"renderer", "cpu", "threads", "results": [{"name", "ms", "items_per_s", "bytes_per_s", ...}]}.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "cli/bench.hpp"
#include "cli/cli.hpp"
#include "cli/cli11_util.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"

namespace qviz::cli {

double medianMs(const std::function<void()>& fn, int minRuns, double minSeconds) {
  using clock = std::chrono::steady_clock;
  fn();  // warm-up: caches, page faults, shader JIT
  std::vector<double> times;
  const auto start = clock::now();
  while (int(times.size()) < minRuns ||
         std::chrono::duration<double>(clock::now() - start).count() < minSeconds) {
    const auto t0 = clock::now();
    fn();
    times.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
    if (times.size() >= 1000) break;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

BenchResult makeResult(const std::string& name, double ms, double items, double bytes, const BenchContext& ctx) {
  BenchResult r;
  r.name = name;
  r.ms = ms;
  r.itemsPerSec = ms > 0 ? items / (ms * 1e-3) : 0;
  r.bytesPerSec = ms > 0 ? bytes / (ms * 1e-3) : 0;
  r.extra["bytes_moved"] = bytes;
  if (ctx.bandwidthGBps && *ctx.bandwidthGBps > 0)
    r.extra["bandwidth_fraction"] = r.bytesPerSec / (*ctx.bandwidthGBps * 1e9);
  return r;
}

namespace {
std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  return "unknown CPU";
}

const std::vector<BenchSuite>& suites() {
  static const std::vector<BenchSuite> list = {benchImageCpu, benchLoraCpu, benchTensorCpu, benchFormatsCpu, benchQuantizeRss, benchImageGpu, benchTensorGpu};
  return list;
}
}  // namespace

int runBench(int argc, char** argv) {
  CLI::App app{"Run the benchmarks", "bench"};
  std::string jsonPath;
  BenchContext ctx;
  double bandwidth = 0;
  app.add_option("--json", jsonPath, "write the results as JSON");
  app.add_option("--filter", ctx.filter, "only benchmarks whose name contains this");
  app.add_option("--bandwidth", bandwidth, "peak memory bandwidth in GB/s; reports the fraction achieved");
  app.add_flag("--quick", ctx.quick, "fewer repetitions (for tests)");
  if (auto rc = parseArgs(app, argc, argv)) return *rc;
  if (bandwidth < 0) return badInput("bench", "--bandwidth must be positive");
  if (bandwidth > 0) ctx.bandwidthGBps = bandwidth;

  std::vector<BenchResult> results;
  for (BenchSuite suite : suites()) suite(ctx, results);

  std::printf("%-28s %12s %16s %14s\n", "benchmark", "ms", "items/s", "GB/s");
  for (const auto& r : results)
    std::printf("%-28s %12.3f %16.4g %14.3f\n", r.name.c_str(), r.ms, r.itemsPerSec, r.bytesPerSec * 1e-9);
  nlohmann::ordered_json doc;
  doc["renderer"] = ctx.renderer.empty() ? "none (CPU only)" : ctx.renderer;
  doc["cpu"] = cpuModel();
  doc["threads"] = core::workerCount();
  doc["results"] = nlohmann::ordered_json::array();
  for (const auto& r : results) {
    nlohmann::ordered_json j;
    j["name"] = r.name;
    j["ms"] = r.ms;
    j["items_per_s"] = r.itemsPerSec;
    j["bytes_per_s"] = r.bytesPerSec;
    for (auto it = r.extra.begin(); it != r.extra.end(); ++it) j[it.key()] = it.value();
    doc["results"].push_back(std::move(j));
  }
  for (const auto& r : results)
    if (r.extra.contains("note")) std::printf("%s: %s\n", r.name.c_str(), r.extra["note"].get<std::string>().c_str());
  std::printf("renderer: %s\ncpu: %s (%u threads)\n", doc["renderer"].get<std::string>().c_str(),
              doc["cpu"].get<std::string>().c_str(), core::workerCount());
  if (!jsonPath.empty())
    if (auto st = core::writeFileAtomic(jsonPath, doc.dump(2) + "\n"); !st) return badInput("bench", st.error());
  return kExitOk;
}

}  // namespace qviz::cli
