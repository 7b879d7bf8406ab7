// Benchmark registry for `qviz bench`: suites append named results (median time per run after a
// warm-up). Speed targets live here and in the closing notes, never in timed tests.
#pragma once
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qviz::cli {

struct BenchResult {
  std::string name;
  double ms = 0;              // median wall time of one run
  double itemsPerSec = 0;     // items (pixels, values) per second
  double bytesPerSec = 0;     // bytes moved (read + written) per second
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

struct BenchContext {
  bool quick = false;                   // fewer repetitions (tests)
  std::optional<double> bandwidthGBps;  // peak memory bandwidth, to report the fraction achieved
  std::string filter;                   // run only results whose name contains this
  std::string renderer;                 // set by the GPU suite when a context exists
  bool wants(const std::string& name) const { return filter.empty() || name.find(filter) != std::string::npos; }
};

using BenchSuite = void (*)(BenchContext&, std::vector<BenchResult>&);

// Median milliseconds of fn() over at least `minRuns` runs and about `minSeconds`, after one
// warm-up run.
double medianMs(const std::function<void()>& fn, int minRuns, double minSeconds);

// Fills in throughput fields from items and bytes per run.
BenchResult makeResult(const std::string& name, double ms, double items, double bytes, const BenchContext& ctx);

void benchFormatsCpu(BenchContext& ctx, std::vector<BenchResult>& out);
void benchImageCpu(BenchContext& ctx, std::vector<BenchResult>& out);
void benchImageGpu(BenchContext& ctx, std::vector<BenchResult>& out);
void benchLoraCpu(BenchContext& ctx, std::vector<BenchResult>& out);
void benchTensorCpu(BenchContext& ctx, std::vector<BenchResult>& out);
void benchTensorGpu(BenchContext& ctx, std::vector<BenchResult>& out);
void benchQuantizeRss(BenchContext& ctx, std::vector<BenchResult>& out);
// For benchQuantizeRss's child: with QVIZ_PEAK_RSS_FILE set, writes the process's VmHWM there at exit.
void reportPeakRssAtExit();

}  // namespace qviz::cli
