// CPU tensor benchmarks: NF4 quantize and dequantize of 16M float32 values at blocksize 64
// (targets on the 2-core development machine: >= 500 M values/s and >= 1500 M values/s).
#include <random>

#include "cli/bench.hpp"
#include "quant/blockwise.hpp"

namespace qviz::cli {
using namespace qviz::core;

void benchTensorCpu(BenchContext& ctx, std::vector<BenchResult>& out) {
  const bool wantQ = ctx.wants("nf4_quantize_cpu_16m"), wantD = ctx.wants("nf4_dequantize_cpu_16m");
  if (!wantQ && !wantD) return;
  const double secs = ctx.quick ? 0.05 : 1.0;
  const int runs = ctx.quick ? 2 : 10;
  const std::size_t n = std::size_t(1) << 24;
  std::vector<float> x(n);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.02f);  // weight-like scale
  for (auto& v : x) v = nd(rng);
  BlockwiseSettings s;  // NF4, blocksize 64
  QuantizedTensor q;
  if (auto st = quantizeBlockwiseInto(x.data(), n, s, q); !st) return;
  // Bytes moved: quantize reads 4 B and writes 1 B code + 0.5 B packed per value (+ absmax);
  // dequantize reads the 1 B code and writes 4 B.
  if (wantQ) {
    const double ms = medianMs([&] { (void)quantizeBlockwiseInto(x.data(), n, s, q); }, runs, secs);
    out.push_back(makeResult("nf4_quantize_cpu_16m", ms, double(n), double(n) * 5.5 + double(n) / 16.0, ctx));
  }
  if (wantD) {
    std::vector<float> y(n);
    const double ms = medianMs([&] { dequantizeBlockwise(q, y.data()); }, runs, secs);
    out.push_back(makeResult("nf4_dequantize_cpu_16m", ms, double(n), double(n) * 5.0 + double(n) / 16.0, ctx));
  }
}

}  // namespace qviz::cli
